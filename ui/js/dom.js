// Tiny DOM helpers. Text always goes in through text nodes, never innerHTML.
import { svg } from './icons.js';

// h('div', { class: 'x', onclick: fn, dataset: { id: 1 } }, 'text', child)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// An icon from the static set in icons.js.
export function icon(name) {
  return svg(name);
}

export function debounce(fn, ms) {
  let timer = 0;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

// A banner that shows an error's message and its hint (the next step).
export function errorBanner(err, { tone = 'danger', title, action } = {}) {
  const body = h('div', null,
    h('div', { class: 'banner-title' }, title || err.message),
    title && err.message ? h('div', null, err.message) : null,
    err.hint ? h('div', { class: 'banner-hint' }, err.hint) : null);
  return h('div', { class: `banner banner-${tone}`, role: 'alert' },
    icon(tone === 'danger' ? 'alert' : 'info'), body, action || null);
}

// Re-render `root` with `fn` without losing keyboard focus: an element inside
// `root` that had focus and carries data-focus-key gets it back afterwards (or
// its replacement with the same key does). Used by lists that refresh on a timer.
export function keepFocus(root, fn) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? active.dataset.focusKey : null;
  fn();
  if (!key || root.contains(active) && document.activeElement === active) return;
  const again = [...root.querySelectorAll('[data-focus-key]')].find((n) => n.dataset.focusKey === key);
  if (again && !again.disabled) again.focus({ preventScroll: true });
}
