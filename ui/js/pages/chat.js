// Chat page: the local conversation with the assistant.
import { api, events } from '../api.js';
import { h, icon, errorBanner } from '../dom.js';
import { t, onLanguageChange } from '../i18n.js';
import { formatTime, formatDay, fullDateTime, isSameDay } from '../format.js';

const PAGE_SIZE = 50;
const MAX_CHARS = 16000;
const WARN_CHARS = 15000;
const COMMANDS = ['/help', '/status', '/remind', '/reminders'];
// How far a status has progressed; a late reply never moves it back.
const RANK = { sending: 0, pending: 0, received: 1, sent: 1, done: 2, failed: 2 };
const STATUS_ICON = { sending: 'clock', pending: 'clock', received: 'check', sent: 'check', done: 'checks', failed: 'x' };

export function createChatPage() {
  const entries = new Map();   // id -> ChatEntry
  const nodes = new Map();     // id -> element
  let order = [];              // ids, ascending
  const pendings = [];         // optimistic sends: { tempId, text, node, id }
  let seq = 0;
  let hasMore = false;
  let loaded = false;
  let loadingOlder = false;
  let historyError = null;

  const title = h('h1', { 'data-i18n': 'chat.title' });
  const subtitle = h('p', { 'data-i18n': 'chat.subtitle' });
  const head = h('div', { class: 'chat-head' }, h('div', null, title, subtitle));

  const more = h('div', { class: 'chat-more' });
  const empty = h('div', { class: 'empty chat-empty', hidden: true },
    icon('chat'),
    h('div', { class: 'empty-title', 'data-i18n': 'chat.emptyTitle' }),
    h('div', { 'data-i18n': 'chat.emptyBody' }));
  const log = h('div', {
    id: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
    tabindex: '0', 'data-i18n-attr': 'aria-label:chat.logLabel',
  }, more, empty);

  const errorSlot = h('div', { class: 'composer-error' });
  const chips = h('div', { class: 'chips', role: 'group', 'data-i18n-attr': 'aria-label:chat.commands' },
    COMMANDS.map((cmd) => h('button', {
      type: 'button', class: 'chip', dataset: { cmd },
      'data-i18n-attr': `title:chat.cmd.${cmd.slice(1)}`,
      onclick: () => fillCommand(cmd),
    }, cmd)));
  const input = h('textarea', {
    id: 'chat-input', rows: '1', autocomplete: 'off', spellcheck: 'true',
    'data-i18n-attr': 'placeholder:chat.placeholder;aria-label:chat.inputLabel',
    'aria-describedby': 'chat-counter chat-keys',
  });
  const send = h('button', {
    id: 'chat-send', type: 'button', class: 'btn btn-primary', disabled: true,
    'data-i18n-attr': 'aria-label:chat.send',
  }, icon('send'), h('span', { 'data-i18n': 'chat.send' }));
  const counter = h('span', { id: 'chat-counter', class: 'counter', 'aria-live': 'polite' });
  const keysHint = h('span', { id: 'chat-keys' });
  const composer = h('div', { class: 'composer' },
    errorSlot, chips,
    h('div', { class: 'composer-box' }, input, send),
    h('div', { class: 'composer-foot' }, keysHint, counter));

  const el = h('section', { class: 'page chat', id: 'page-chat', 'aria-labelledby': 'chat-title' }, head, log, composer);
  title.id = 'chat-title';

  // ---------- rendering ----------

  function statusLabel(entry) {
    const s = entry.status;
    if (entry.direction === 'out' && (s === 'done' || s === 'received' || s === 'sent')) return null;
    return t(`chat.status.${s}`);
  }

  function renderEntry(entry) {
    const when = h('time', { datetime: entry.at, title: fullDateTime(entry.at) }, formatTime(entry.at));
    const label = statusLabel(entry);
    const status = label
      ? h('span', { class: 'chat-status', dataset: { status: entry.status } }, icon(STATUS_ICON[entry.status] || 'info'), label)
      : null;
    return h('div', {
      class: 'chat-entry',
      dataset: { id: String(entry.id), direction: entry.direction, status: entry.status },
    },
    h('span', { class: 'visually-hidden' }, entry.direction === 'in' ? t('chat.you') : t('chat.assistant')),
    h('div', { class: 'chat-bubble' }, h('div', { class: 'chat-text' }, entry.text)),
    h('div', { class: 'chat-meta' }, when, status ? h('span', { 'aria-hidden': 'true' }, '·') : null, status));
  }

  // Whether the user is reading the newest messages; kept while the page is hidden.
  let pinned = true;
  function nearBottom() {
    if (el.hidden) return pinned;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
  }

  function firstTemp() {
    const p = pendings.find((x) => x.node && x.node.isConnected);
    return p ? p.node : null;
  }

  // Insert or replace one stored entry, keeping the log sorted by id.
  function upsert(entry, { keepProgress = false } = {}) {
    const id = Number(entry.id);
    const prev = entries.get(id);
    if (prev && keepProgress && (RANK[prev.status] ?? 0) > (RANK[entry.status] ?? 0)) {
      entry = { ...entry, status: prev.status };
    }
    entries.set(id, entry);
    const node = renderEntry(entry);
    const old = nodes.get(id);
    nodes.set(id, node);
    if (old) {
      old.replaceWith(node);
      return;
    }
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid] < id) lo = mid + 1; else hi = mid;
    }
    order.splice(lo, 0, id);
    const next = lo + 1 < order.length ? nodes.get(order[lo + 1]) : firstTemp();
    log.insertBefore(node, next || null);
  }

  // Day separators and the empty state, recomputed after each change.
  function relayout() {
    for (const d of log.querySelectorAll('.chat-day')) d.remove();
    let prevDate = null;
    for (const node of log.querySelectorAll('.chat-entry')) {
      const at = node.querySelector('time');
      const date = at ? new Date(at.dateTime) : null;
      if (!date || Number.isNaN(date.getTime())) continue;
      if (!prevDate || !isSameDay(prevDate, date)) {
        node.before(h('div', { class: 'chat-day', role: 'separator' }, formatDay(at.dateTime)));
      }
      prevDate = date;
    }
    empty.hidden = !(loaded && !historyError && entries.size === 0 && pendings.length === 0);
    renderMore();
  }

  function renderMore() {
    more.replaceChildren();
    if (historyError) {
      more.append(errorBanner(historyError, {
        action: h('button', { type: 'button', class: 'btn btn-sm', onclick: () => (loaded ? loadOlder() : loadInitial()) }, t('common.retry')),
      }));
    } else if (loadingOlder || !loaded) {
      more.append(h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') }));
    } else if (hasMore) {
      more.append(h('button', { type: 'button', class: 'btn btn-sm btn-ghost', onclick: loadOlder }, icon('up'), t('chat.loadEarlier')));
    }
  }

  function addEntries(list, opts) {
    for (const e of list) upsert(e, opts);
    relayout();
  }

  // ---------- history ----------

  async function loadInitial() {
    historyError = null;
    loaded = false;
    renderMore();
    try {
      const res = await api.chatHistory(null, PAGE_SIZE);
      hasMore = !!res.has_more;
      loaded = true;
      addEntries(res.entries || []);
      scrollToBottom();
    } catch (err) {
      historyError = err;
      relayout();
    }
  }

  async function loadOlder() {
    if (loadingOlder || !hasMore) return;
    loadingOlder = true;
    historyError = null;
    renderMore();
    const before = order.length ? order[0] : null;
    const prevHeight = log.scrollHeight;
    const prevTop = log.scrollTop;
    try {
      const res = await api.chatHistory(before, PAGE_SIZE);
      hasMore = !!res.has_more;
      loadingOlder = false;
      addEntries(res.entries || []);
    } catch (err) {
      loadingOlder = false;
      historyError = err;
      relayout();
    }
    // Keep the message the user was looking at in place.
    log.scrollTop = prevTop + (log.scrollHeight - prevHeight);
  }

  log.addEventListener('scroll', () => {
    pinned = nearBottom();
    if (loaded && hasMore && !loadingOlder && !historyError && log.scrollTop < 48) loadOlder();
  }, { passive: true });

  // ---------- live entries ----------

  events.chatEntry((entry) => {
    if (!entry || entry.id === undefined) return;
    const stick = nearBottom();
    const id = Number(entry.id);
    if (entry.direction === 'in' && !entries.has(id)) {
      // Our own optimistic bubble, confirmed by the event before chat_send returned.
      const p = pendings.find((x) => x.text.trim() === String(entry.text).trim());
      if (p) claim(p, id);
    }
    addEntries([entry]);
    if (stick) scrollToBottom();
  });

  function claim(p, id) {
    p.id = id;
    if (p.node) p.node.remove();
    p.node = null;
    pendings.splice(pendings.indexOf(p), 1);
  }

  // ---------- composer ----------

  function length() {
    return [...input.value].length;
  }

  function updateComposer() {
    const n = length();
    const level = n > MAX_CHARS ? 'over' : n >= WARN_CHARS ? 'warn' : 'ok';
    counter.dataset.level = level;
    counter.textContent = t('chat.counter', { n: n.toLocaleString(), max: MAX_CHARS.toLocaleString() });
    counter.title = level === 'over' ? t('chat.tooLong', { max: MAX_CHARS.toLocaleString() }) : '';
    send.disabled = input.value.trim() === '' || level === 'over';
  }

  function autosize() {
    const stick = nearBottom();
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
    if (stick) scrollToBottom();
  }

  function fillCommand(cmd) {
    input.value = cmd === '/remind' ? `${cmd} ` : cmd;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    updateComposer();
    autosize();
  }

  function showError(err) {
    errorSlot.replaceChildren(errorBanner(err, {
      action: h('button', {
        type: 'button', class: 'btn btn-ghost btn-icon btn-sm', 'aria-label': t('common.dismiss'),
        onclick: () => errorSlot.replaceChildren(),
      }, icon('x')),
    }));
  }

  async function doSend() {
    const text = input.value;
    if (text.trim() === '' || length() > MAX_CHARS) return;
    errorSlot.replaceChildren();
    const tempId = `tmp-${++seq}`;
    const temp = { id: tempId, direction: 'in', text, at: new Date().toISOString(), status: 'sending' };
    const p = { tempId, text, node: renderEntry(temp) };
    pendings.push(p);
    log.append(p.node);
    relayout();
    input.value = '';
    updateComposer();
    autosize();
    scrollToBottom();
    try {
      const entry = await api.chatSend(text);
      if (pendings.includes(p)) claim(p, Number(entry.id));
      addEntries([entry], { keepProgress: true });
    } catch (err) {
      if (pendings.includes(p)) claim(p, undefined);
      relayout();
      if (input.value === '') input.value = text;
      updateComposer();
      autosize();
      showError(err);
    }
  }

  input.addEventListener('input', () => { updateComposer(); autosize(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      doSend();
    }
  });
  send.addEventListener('click', doSend);

  function relabel() {
    keysHint.replaceChildren(h('kbd', null, 'Enter'), ` ${t('chat.keySend')} · `, h('kbd', null, 'Shift+Enter'), ` ${t('chat.keyNewline')}`);
    updateComposer();
    for (const [id, entry] of entries) {
      const node = renderEntry(entry);
      nodes.get(id).replaceWith(node);
      nodes.set(id, node);
    }
    relayout();
  }
  onLanguageChange(relabel);
  relabel();
  loadInitial();

  return {
    el,
    show({ first } = {}) {
      if (pinned) scrollToBottom();
      if (first) input.focus();
    },
    hide() {},
  };
}
