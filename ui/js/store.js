// Shared app state: engine health (header + Channels) and app_info.
import { api, events } from './api.js';

let health = null;   // last Health, or null
let error = null;    // last engine_health error, or null
const subs = new Set();

export function getHealth() { return { health, error }; }

export function onHealth(cb) {
  subs.add(cb);
  return () => subs.delete(cb);
}

export function setHealth(h) {
  health = h;
  error = null;
  for (const cb of subs) cb({ health, error });
}

function setHealthError(err) {
  error = err;
  for (const cb of subs) cb({ health, error });
}

export async function refreshHealth() {
  try {
    setHealth(await api.engineHealth());
  } catch (err) {
    setHealthError(err);
  }
}

let healthTimer = 0;
export function startHealth() {
  events.health(setHealth);
  refreshHealth();
  // Events drive updates; a slow poll covers a shell that stopped sending them.
  clearInterval(healthTimer);
  healthTimer = setInterval(refreshHealth, 30000);
}

let infoPromise = null;
export function appInfo() {
  if (!infoPromise) {
    infoPromise = api.appInfo().catch((err) => {
      infoPromise = null;
      throw err;
    });
  }
  return infoPromise;
}
