// App entry: prefs, header health, startup banner and the hash router.
import { h, icon } from './dom.js';
import { t, apply, onLanguageChange } from './i18n.js';
import { loadPrefs } from './prefs.js';
import { startHealth, onHealth, getHealth, appInfo } from './store.js';
import { createChatPage } from './pages/chat.js';
import { createRemindersPage } from './pages/reminders.js';
import { createChannelsPage } from './pages/channels.js';
import { createPermissionsPage } from './pages/permissions.js';
import { createAuditPage } from './pages/audit.js';
import { createSettingsPage } from './pages/settings.js';

const PAGES = {
  chat: createChatPage,
  reminders: createRemindersPage,
  channels: createChannelsPage,
  permissions: createPermissionsPage,
  audit: createAuditPage,
  settings: createSettingsPage,
};
const mounted = {};
let current = null;
let startupError = null;

function routeName() {
  const name = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return PAGES[name] ? name : 'chat';
}

function mount(name) {
  if (!mounted[name]) {
    const page = PAGES[name]();
    page.el.hidden = true;
    apply(page.el);
    document.getElementById('pages').append(page.el);
    mounted[name] = page;
  }
  return mounted[name];
}

function route() {
  const name = routeName();
  if (name === current) return;
  const first = current === null;
  if (current) {
    mounted[current].hide();
    mounted[current].el.hidden = true;
  }
  current = name;
  const page = mount(name);
  page.el.hidden = false;
  page.show({ first });
  for (const link of document.querySelectorAll('.nav-link')) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  updateTitle();
}

function updateTitle() {
  document.title = current ? `${t(`nav.${current}`)} · Molten` : 'Molten';
}

function renderHealth({ health, error }) {
  const el = document.getElementById('health');
  const label = el.querySelector('.health-label');
  label.removeAttribute('data-i18n');
  el.removeAttribute('aria-busy');
  const state = health && !error ? health.overall : 'offline';
  el.dataset.state = state;
  let text = t(`health.${state}`);
  if (health && !error && health.paused) text += ` · ${t('health.paused')}`;
  label.textContent = text;
  el.setAttribute('aria-label', t('health.aria', { state: text }));
  el.title = error ? `${error.message}${error.hint ? ` — ${error.hint}` : ''}`
    : health ? t('health.queue', { count: health.queue_depth ?? 0 }) : '';
}

function renderBanner() {
  const el = document.getElementById('startup-banner');
  if (!startupError) { el.hidden = true; return; }
  el.replaceChildren(icon('alert'), h('div', null,
    h('div', { class: 'banner-title' }, t('app.startupError')),
    h('div', null, startupError.message),
    startupError.hint ? h('div', { class: 'banner-hint' }, startupError.hint) : null));
  el.hidden = false;
}

async function start() {
  for (const link of document.querySelectorAll('.nav-link')) {
    link.prepend(icon(link.dataset.icon));
    link.setAttribute('data-i18n-attr', `title:nav.${link.dataset.page}`);
  }
  await loadPrefs(); // also applies the language to static markup
  onHealth(renderHealth);
  onLanguageChange(() => {
    renderBanner();
    updateTitle();
    const el = document.getElementById('health');
    if (!el.hasAttribute('aria-busy')) renderHealth(getHealth());
  });
  startHealth();
  appInfo().then((info) => {
    startupError = info.startup_error || null;
    renderBanner();
  }).catch((err) => console.warn('app_info failed', err));
  window.addEventListener('hashchange', route);
  route();
}

start();
