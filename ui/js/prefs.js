// Theme and language preferences: applied at once, saved through prefs_set.
import { api } from './api.js';
import { setLanguage } from './i18n.js';

const CACHE_KEY = 'molten.prefs';
const dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
let prefs = readCache();

function readCache() {
  try {
    const p = JSON.parse(localStorage.getItem(CACHE_KEY) || 'null');
    if (p && p.theme && p.language) return p;
  } catch { /* ignore */ }
  return { theme: 'system', language: 'system' };
}

function applyTheme(theme) {
  const isDark = theme === 'dark' || (theme === 'system' && dark && dark.matches);
  const root = document.documentElement;
  root.setAttribute('data-theme', isDark ? 'dark' : 'light');
  root.setAttribute('data-theme-pref', theme);
}

if (dark) dark.addEventListener('change', () => applyTheme(prefs.theme));

export function currentPrefs() { return { ...prefs }; }

export function applyPrefs(p) {
  prefs = { theme: p.theme || 'system', language: p.language || 'system' };
  try { localStorage.setItem(CACHE_KEY, JSON.stringify(prefs)); } catch { /* ignore */ }
  applyTheme(prefs.theme);
  setLanguage(prefs.language);
}

// Load saved prefs; on failure keep the cached ones.
export async function loadPrefs() {
  try {
    applyPrefs(await api.prefsGet());
  } catch (err) {
    applyPrefs(prefs);
    console.warn('prefs_get failed', err);
  }
}

// Apply a change immediately; revert if the shell refuses it.
export async function savePrefs(change) {
  const before = { ...prefs };
  const next = { ...prefs, ...change };
  applyPrefs(next);
  try {
    applyPrefs(await api.prefsSet(next));
  } catch (err) {
    applyPrefs(before);
    throw err;
  }
}
