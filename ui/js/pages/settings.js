// Settings page: theme and language (applied at once) and the About block.
import { h, icon, errorBanner } from '../dom.js';
import { t, onLanguageChange } from '../i18n.js';
import { currentPrefs, savePrefs } from '../prefs.js';
import { appInfo } from '../store.js';

const THEMES = [['system', 'monitor'], ['light', 'sun'], ['dark', 'moon']];
// Language names are shown in their own language, except "system".
const LANGS = [['system', null], ['zh-CN', '中文'], ['en', 'English']];

export function createSettingsPage() {
  let info = null;
  let infoError = null;
  const status = h('div', { class: 'setting-status', 'aria-live': 'polite' });

  function radioGroup(name, options, labelKey) {
    const legend = h('legend', { class: 'visually-hidden', 'data-i18n': labelKey });
    const group = h('fieldset', { class: 'segmented', id: `pref-${name}` }, legend);
    for (const [value, extra] of options) {
      const id = `pref-${name}-${value}`;
      const input = h('input', { type: 'radio', name: `pref-${name}`, id, value });
      input.addEventListener('change', () => change(name, value));
      const label = h('label', { for: id });
      if (name === 'theme') label.append(icon(extra), h('span', { 'data-i18n': `settings.theme.${value}` }));
      else label.append(extra ? h('span', { lang: value }, extra) : h('span', { 'data-i18n': 'settings.language.system' }));
      group.append(input, label);
    }
    return group;
  }

  const themeGroup = radioGroup('theme', THEMES, 'settings.theme');
  const langGroup = radioGroup('language', LANGS, 'settings.language');
  const about = h('dl', { class: 'kv' });
  const aboutSlot = h('div');

  const el = h('section', { class: 'page', id: 'page-settings', 'aria-labelledby': 'settings-title' },
    h('div', { class: 'page-scroll' }, h('div', { class: 'page-inner' },
      h('div', { class: 'page-head' }, h('div', null,
        h('h1', { id: 'settings-title', 'data-i18n': 'settings.title' }),
        h('p', { 'data-i18n': 'settings.subtitle' }))),
      h('section', { class: 'card', 'aria-labelledby': 'appearance-title' }, h('div', { class: 'card-body' },
        h('h2', { id: 'appearance-title', class: 'card-title', 'data-i18n': 'settings.appearance' }),
        h('p', { class: 'card-desc', 'data-i18n': 'settings.appearanceDesc' }),
        h('div', { class: 'setting-row' },
          h('div', null, h('div', { class: 'setting-label', 'data-i18n': 'settings.theme' }),
            h('div', { class: 'setting-desc', 'data-i18n': 'settings.themeDesc' })),
          themeGroup),
        h('div', { class: 'setting-row' },
          h('div', null, h('div', { class: 'setting-label', 'data-i18n': 'settings.language' }),
            h('div', { class: 'setting-desc', 'data-i18n': 'settings.languageDesc' })),
          langGroup),
        status)),
      h('section', { class: 'card about', 'aria-labelledby': 'about-title' }, h('div', { class: 'card-body' },
        h('h2', { id: 'about-title', class: 'card-title', 'data-i18n': 'settings.about' }),
        h('p', { class: 'card-desc', 'data-i18n': 'settings.aboutDesc' }),
        aboutSlot, about)))));

  async function change(name, value) {
    status.className = 'setting-status';
    status.textContent = '';
    try {
      await savePrefs({ [name]: value });
    } catch (err) {
      status.className = 'setting-status error';
      status.textContent = err.hint ? `${err.message} — ${err.hint}` : err.message;
    }
    syncRadios();
  }

  function syncRadios() {
    const p = currentPrefs();
    for (const input of el.querySelectorAll('input[type="radio"]')) {
      const name = input.name.replace('pref-', '');
      input.checked = p[name] === input.value;
    }
  }

  function renderAbout() {
    aboutSlot.replaceChildren(infoError ? errorBanner(infoError) : '');
    if (!info) { about.replaceChildren(); return; }
    const row = (key, value, mono) => [h('dt', null, t(key)), h('dd', { class: mono ? 'mono' : null }, value)];
    about.replaceChildren(
      ...row('settings.version', info.version || '—'),
      ...row('settings.dataDir', info.data_dir || '—', true),
      ...row('settings.configPath', info.config_path || '—', true),
      ...row('settings.apiUrl', info.api_url || t('settings.apiDisabled'), !!info.api_url));
  }

  onLanguageChange(() => { renderAbout(); });
  appInfo().then((i) => { info = i; renderAbout(); }).catch((err) => { infoError = err; renderAbout(); });
  syncRadios();

  return {
    el,
    show() { syncRadios(); },
    hide() {},
  };
}
