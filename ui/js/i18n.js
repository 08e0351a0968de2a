// Translations: t('key', params), language resolution and live re-labelling.
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';

const DICTS = { en, 'zh-CN': zhCN };
export const LANGUAGES = ['zh-CN', 'en'];

let pref = 'system';
let lang = resolveLanguage('system');
const listeners = new Set();

export function resolveLanguage(p) {
  if (p && DICTS[p]) return p;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return /^zh\b/i.test(nav) ? 'zh-CN' : 'en';
}

export function language() { return lang; }

// Locale for dates and numbers: the OS locale when following the system.
export function locale() {
  if (pref === 'system') return navigator.language || lang;
  return lang;
}

export function setLanguage(p) {
  pref = p || 'system';
  lang = resolveLanguage(pref);
  document.documentElement.lang = lang;
  apply(document);
  for (const cb of listeners) cb(lang);
}

export function onLanguageChange(cb) {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

// t('key', { name }) — a missing key returns `fallback` if given, else the key.
export function t(key, params, fallback) {
  let msg = DICTS[lang][key] ?? en[key];
  if (msg === undefined) {
    if (fallback !== undefined) return fallback;
    console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (typeof msg === 'object') {
    const form = new Intl.PluralRules(lang).select(Number(params && params.count) || 0);
    msg = msg[form] ?? msg.other;
  }
  if (!params) return msg;
  return msg.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// Re-label static markup: data-i18n="key" sets the text,
// data-i18n-attr="aria-label:key;title:key" sets attributes.
export function apply(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}
