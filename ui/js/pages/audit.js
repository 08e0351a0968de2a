// Audit page: the hash-chained audit log, filtered and keyset-paged, with
// chain verification and export.
import { api } from '../api.js';
import { h, icon, debounce, errorBanner } from '../dom.js';
import { t, onLanguageChange, locale } from '../i18n.js';
import { fullDateTime } from '../format.js';

const PAGE_SIZE = 50;
const RESULTS = ['allowed', 'denied', 'needs_approval', 'ok', 'error'];
const TONE = { allowed: 'ok', ok: 'ok', needs_approval: 'warn', denied: 'danger', error: 'danger' };
const TEXT_FILTERS = ['query', 'actor', 'channel', 'operation'];
// Actor and channel, operation and target, result and duration share a cell
// (two lines) so the table fits a normal window; the details row shows every
// field in full.
// Arguments come last: the first to scroll out of view in a narrow window.
const COLUMNS = ['time', 'actor', 'operation', 'result', 'args'];
const SUGGEST_MAX = 200;

// A local calendar day ("2026-03-04") as an RFC 3339 instant: its first or last millisecond.
function dayBound(day, end) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || '')) return null;
  const d = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return '—';
  const n = Number(ms);
  if (n < 1000) return t('audit.ms', { n: Math.round(n) });
  return t('audit.seconds', { n: (n / 1000).toFixed(n < 10000 ? 1 : 0) });
}

// "Nov 22, 1:19 PM"; the year only when it is not this year.
function formatAt(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  const opts = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  try {
    return new Intl.DateTimeFormat(locale(), opts).format(d);
  } catch {
    return new Intl.DateTimeFormat('en', opts).format(d);
  }
}

function text(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function createAuditPage() {
  const state = {
    filters: { query: '', actor: '', channel: '', operation: '', result: '', from: '', to: '' },
    cursor: null, stack: [], items: [], next: null,
    loaded: false, loading: false, error: null, rangeError: false,
    verifying: false, verify: null, verifyError: null,
    exporting: null, exported: null, exportError: null,
    expanded: new Set(),
  };
  const seen = { actor: new Set(), channel: new Set(), operation: new Set() };
  let seq = 0;

  // ---------- filters ----------
  const lists = {};
  function field(name, control, wide) {
    return h('div', { class: wide ? 'filter filter-wide' : 'filter' },
      h('label', { for: control.id, 'data-i18n': `audit.filter.${name}` }), control);
  }
  function textInput(name, type = 'text') {
    const props = {
      id: `audit-${name}`, class: 'input', type, autocomplete: 'off', spellcheck: 'false',
      dataset: { filter: name },
    };
    if (name in seen) {
      props.list = `audit-${name}-list`;
      lists[name] = h('datalist', { id: props.list });
    }
    return h('input', props);
  }
  const inputs = {
    query: textInput('query', 'search'),
    actor: textInput('actor'),
    channel: textInput('channel'),
    operation: textInput('operation'),
    from: h('input', { id: 'audit-from', class: 'input', type: 'date', dataset: { filter: 'from' } }),
    to: h('input', { id: 'audit-to', class: 'input', type: 'date', dataset: { filter: 'to' } }),
    result: h('select', { id: 'audit-result-filter', class: 'select', dataset: { filter: 'result' } },
      h('option', { value: '', 'data-i18n': 'audit.result.all' }),
      RESULTS.map((r) => h('option', { value: r, 'data-i18n': `audit.result.${r}` }))),
  };
  inputs.query.setAttribute('data-i18n-attr', 'placeholder:audit.searchPlaceholder');
  inputs.actor.placeholder = 'telegram:42';
  inputs.operation.placeholder = 'file:read';
  inputs.channel.placeholder = 'telegram';
  const clearBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'audit-clear', onclick: clearFilters },
    icon('x'), h('span', { 'data-i18n': 'audit.clear' }));
  const rangeNote = h('div', { class: 'field-error filters-note', role: 'status', 'aria-live': 'polite' });
  const filters = h('div', { class: 'filters', role: 'search', 'data-i18n-attr': 'aria-label:audit.filters' },
    field('query', inputs.query, true), field('result', inputs.result),
    field('actor', inputs.actor), field('channel', inputs.channel), field('operation', inputs.operation),
    field('from', inputs.from), field('to', inputs.to),
    h('div', { class: 'filter filter-action' }, clearBtn),
    Object.values(lists), rangeNote);

  // ---------- head: verify and export ----------
  const verifyBtn = h('button', { type: 'button', class: 'btn', id: 'audit-verify', onclick: verify });
  const exportCsv = h('button', { type: 'button', class: 'btn', id: 'audit-export-csv', onclick: () => exportAs('csv') });
  const exportJson = h('button', { type: 'button', class: 'btn', id: 'audit-export-json', onclick: () => exportAs('json') });
  const verifyResult = h('div', { id: 'audit-result', class: 'audit-result', role: 'status', 'aria-live': 'polite' });
  const exportResult = h('div', { id: 'audit-export-result', class: 'audit-result', role: 'status', 'aria-live': 'polite' });

  // ---------- table ----------
  const errorSlot = h('div', { class: 'inline-error' });
  const tbody = h('tbody');
  const wrap = h('div', { class: 'table-wrap audit-wrap', tabindex: '0', 'data-i18n-attr': 'aria-label:audit.tableLabel' },
    h('table', { class: 'table audit-table' },
      h('colgroup', null, COLUMNS.map((c) => h('col', { class: `c-${c}` }))),
      h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', { scope: 'col', 'data-i18n': `audit.col.${c}` })))),
      tbody));
  const range = h('div', { class: 'pager-range' });
  const newer = h('button', { type: 'button', class: 'btn btn-sm', id: 'audit-newer', onclick: goNewer },
    icon('left'), h('span', { 'data-i18n': 'audit.newer' }));
  const older = h('button', { type: 'button', class: 'btn btn-sm', id: 'audit-older', onclick: goOlder },
    h('span', { 'data-i18n': 'audit.older' }), icon('right'));
  const pageLabel = h('span', { class: 'pager-label', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'data-i18n-attr': 'aria-label:audit.pagination' },
    range, h('div', { class: 'pager-controls' }, newer, pageLabel, older));

  const el = h('section', { class: 'page', id: 'page-audit', 'aria-labelledby': 'audit-title' },
    h('div', { class: 'page-scroll' }, h('div', { class: 'page-inner page-inner-wide' },
      h('div', { class: 'page-head page-head-wrap' },
        h('div', null,
          h('h1', { id: 'audit-title', 'data-i18n': 'audit.title' }),
          h('p', { 'data-i18n': 'audit.subtitle' })),
        h('div', { class: 'head-actions' }, verifyBtn, exportCsv, exportJson)),
      verifyResult, exportResult,
      filters, errorSlot, wrap, pager)));

  // ---------- loading ----------
  function args() {
    const f = state.filters;
    return {
      actor: f.actor.trim(), channel: f.channel.trim(), operation: f.operation.trim(),
      result: f.result, query: f.query.trim(),
      from: dayBound(f.from, false), to: dayBound(f.to, true),
    };
  }

  async function load() {
    const mine = ++seq;
    state.rangeError = !!(state.filters.from && state.filters.to && state.filters.from > state.filters.to);
    if (state.rangeError) {
      state.loading = false;
      render();
      return;
    }
    state.loading = true;
    render();
    try {
      const res = await api.auditList(args(), state.cursor, PAGE_SIZE);
      if (mine !== seq) return; // the filters or page moved on meanwhile
      state.items = (res && res.items) || [];
      state.next = res && res.next_before != null ? res.next_before : null;
      state.error = null;
      state.loaded = true;
      remember(state.items);
      // A newer page emptied (e.g. retention ran): go back to the newest.
      if (state.items.length === 0 && state.stack.length) {
        state.cursor = null;
        state.stack = [];
        load();
        return;
      }
    } catch (err) {
      if (mine !== seq) return;
      state.error = err;
    }
    state.loading = false;
    render();
  }

  function remember(items) {
    for (const r of items) {
      for (const k of Object.keys(seen)) {
        const v = r[k];
        if (v && !seen[k].has(v) && seen[k].size < SUGGEST_MAX) {
          seen[k].add(v);
          lists[k].append(h('option', { value: v }));
        }
      }
    }
  }

  function restart() {
    state.cursor = null;
    state.stack = [];
    load();
  }

  const later = debounce(restart, 300);
  for (const [name, input] of Object.entries(inputs)) {
    const isText = TEXT_FILTERS.includes(name);
    input.addEventListener(isText ? 'input' : 'change', () => {
      state.filters[name] = input.value;
      updateClear();
      if (isText) later(); else { later.cancel(); restart(); }
    });
    if (isText) {
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') { later.cancel(); restart(); }
      });
    }
  }

  function hasFilters() {
    return Object.values(state.filters).some((v) => String(v).trim() !== '');
  }

  function updateClear() {
    clearBtn.disabled = !hasFilters();
  }

  function clearFilters() {
    for (const [name, input] of Object.entries(inputs)) {
      input.value = '';
      state.filters[name] = '';
    }
    updateClear();
    later.cancel();
    restart();
    inputs.query.focus();
  }

  function goOlder() {
    if (state.loading || state.next == null) return;
    state.stack.push(state.cursor);
    state.cursor = state.next;
    load();
  }

  function goNewer() {
    if (state.loading || !state.stack.length) return;
    state.cursor = state.stack.pop();
    load();
  }

  // ---------- verify and export ----------
  async function verify() {
    if (state.verifying) return;
    state.verifying = true;
    state.verify = null;
    state.verifyError = null;
    renderHead();
    try {
      state.verify = await api.auditVerify();
    } catch (err) {
      state.verifyError = err;
    }
    state.verifying = false;
    renderHead();
  }

  async function exportAs(format) {
    if (state.exporting) return;
    state.exporting = format;
    state.exported = null;
    state.exportError = null;
    renderHead();
    try {
      state.exported = await api.auditExport(format, args());
    } catch (err) {
      state.exportError = err;
    }
    state.exporting = null;
    renderHead();
  }

  function renderHead() {
    verifyBtn.disabled = state.verifying;
    verifyBtn.replaceChildren(state.verifying ? h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }) : icon('shield'),
      t('audit.verify'));
    exportCsv.disabled = exportJson.disabled = !!state.exporting;
    exportCsv.replaceChildren(state.exporting === 'csv' ? h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }) : icon('download'), t('audit.exportCsv'));
    exportJson.replaceChildren(state.exporting === 'json' ? h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }) : icon('download'), t('audit.exportJson'));
    exportCsv.title = exportJson.title = t('audit.exportTip');

    const v = state.verify;
    verifyResult.removeAttribute('data-ok');
    if (state.verifying) {
      verifyResult.replaceChildren(h('div', { class: 'result-line muted' }, t('audit.verifying')));
    } else if (state.verifyError) {
      verifyResult.replaceChildren(errorBanner(state.verifyError, { title: t('audit.verifyFailed') }));
    } else if (v && v.ok) {
      verifyResult.dataset.ok = 'true';
      verifyResult.replaceChildren(h('div', { class: 'result-line ok' }, icon('check'),
        h('div', null, h('div', { class: 'result-title' }, t('audit.verified', { count: Number(v.checked) || 0 })),
          h('div', { class: 'result-sub' }, t('audit.verifiedNote')))));
    } else if (v) {
      verifyResult.dataset.ok = 'false';
      verifyResult.replaceChildren(h('div', { class: 'result-line bad', role: 'alert' }, icon('alert'),
        h('div', null, h('div', { class: 'result-title' }, t('audit.broken')),
          h('div', { class: 'result-msg' }, v.problem || t('audit.brokenUnknown')),
          h('div', { class: 'result-sub' }, t('audit.brokenHint', { count: Number(v.checked) || 0 })))));
    } else {
      verifyResult.replaceChildren();
    }

    const x = state.exported;
    if (state.exporting) {
      exportResult.replaceChildren(h('div', { class: 'result-line muted' }, t('audit.exporting')));
    } else if (state.exportError) {
      exportResult.replaceChildren(errorBanner(state.exportError, { title: t('audit.exportFailed') }));
    } else if (x) {
      exportResult.replaceChildren(h('div', { class: 'result-line ok' }, icon('download'),
        h('div', null, h('div', { class: 'result-title' }, t('audit.exported', { count: Number(x.count) || 0 })),
          h('code', { class: 'result-path' }, x.path))));
    } else {
      exportResult.replaceChildren();
    }
  }

  // ---------- rows ----------
  function channelLabel(channel) {
    return channel ? t(`channels.kind.${channel}`, null, channel) : '—';
  }

  function resultBadge(result) {
    return h('span', { class: 'badge', dataset: { tone: TONE[result] || 'neutral' } }, t(`audit.result.${result}`, null, result));
  }

  function toggleRow(seqNo) {
    if (state.expanded.has(seqNo)) state.expanded.delete(seqNo); else state.expanded.add(seqNo);
    render();
    const b = tbody.querySelector(`.audit-row[data-seq="${Number(seqNo)}"] .row-toggle`);
    if (b) b.focus();
  }

  function row(r) {
    const args = text(r.args);
    const channel = text(r.channel);
    const open = state.expanded.has(r.seq);
    const toggle = h('button', {
      type: 'button', class: 'row-toggle', 'aria-expanded': String(open), 'aria-controls': `audit-detail-${r.seq}`,
      'aria-label': t('audit.details', { seq: r.seq }), title: t('audit.details', { seq: r.seq }),
      onclick: () => toggleRow(r.seq),
    }, icon(open ? 'down' : 'right'));
    return h('tr', { class: 'audit-row', dataset: { seq: String(r.seq), result: r.result }, 'aria-expanded': String(open) },
      h('td', { class: 'audit-time' }, h('div', { class: 'time-cell' }, toggle, h('div', { class: 'time-text' },
        h('time', { datetime: r.at, title: fullDateTime(r.at) }, formatAt(r.at)),
        h('span', { class: 'cell-sub mono' }, `#${r.seq}`)))),
      h('td', null,
        h('div', { class: 'cell-clip', title: text(r.actor) }, text(r.actor)),
        h('div', { class: 'cell-sub cell-clip', title: channel }, channelLabel(channel))),
      h('td', null,
        h('div', { class: 'cell-clip mono op', title: text(r.operation) }, text(r.operation)),
        h('div', { class: 'cell-sub cell-clip', title: text(r.target) }, text(r.target) || '—')),
      h('td', null, resultBadge(r.result),
        h('div', { class: 'cell-sub duration', title: t('audit.col.duration') }, formatDuration(r.duration_ms))),
      h('td', null, h('div', { class: 'cell-clip mono args', title: args }, args || '—')));
  }

  function detailRow(r) {
    const item = (key, value, cls) => [h('dt', null, t(key)), h('dd', { class: cls || null }, value)];
    return h('tr', { class: 'audit-detail', id: `audit-detail-${r.seq}` }, h('td', { colspan: String(COLUMNS.length) },
      h('dl', { class: 'kv audit-kv' },
        item('audit.col.time', h('time', { datetime: r.at }, fullDateTime(r.at))),
        item('audit.seq', `#${r.seq}`, 'mono'),
        item('audit.filter.actor', text(r.actor), 'mono'),
        item('audit.filter.channel', channelLabel(text(r.channel))),
        item('audit.filter.operation', text(r.operation), 'mono'),
        item('audit.col.target', text(r.target) || '—', 'mono'),
        item('audit.col.args', h('pre', { class: 'audit-args' }, text(r.args) || '—')),
        item('audit.filter.result', resultBadge(r.result)),
        item('audit.col.duration', formatDuration(r.duration_ms)),
        item('audit.hashLabel', text(r.hash) || '—', 'mono hash'))));
  }

  function loadingRow() {
    return h('tr', { class: 'loading-row' }, h('td', { colspan: String(COLUMNS.length) },
      h('div', { class: 'loading-line' }, h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), t('common.loading'))));
  }

  function emptyRow() {
    const filtered = hasFilters();
    return h('tr', null, h('td', { colspan: String(COLUMNS.length) }, h('div', { class: 'empty' },
      icon(filtered ? 'search' : 'audit'),
      h('div', { class: 'empty-title' }, filtered ? t('audit.noMatchTitle') : t('audit.emptyTitle')),
      h('div', null, filtered ? t('audit.noMatchBody') : t('audit.emptyBody')))));
  }

  function render() {
    wrap.setAttribute('aria-busy', String(state.loading));
    errorSlot.replaceChildren(state.error ? errorBanner(state.error, {
      action: h('button', { type: 'button', class: 'btn btn-sm', onclick: load }, t('common.retry')),
    }) : '');
    rangeNote.textContent = state.rangeError ? t('audit.rangeInvalid') : '';
    inputs.from.toggleAttribute('aria-invalid', state.rangeError);
    inputs.to.toggleAttribute('aria-invalid', state.rangeError);

    const rows = [];
    if (state.loading) rows.push(loadingRow());
    if (state.loaded && !state.rangeError) {
      for (const r of state.items) {
        rows.push(row(r));
        if (state.expanded.has(r.seq)) rows.push(detailRow(r));
      }
      if (!state.items.length && !state.loading) rows.push(emptyRow());
    }
    tbody.replaceChildren(...rows);

    const items = state.items;
    range.textContent = state.loaded && items.length && !state.rangeError
      ? t('audit.range', { newest: items[0].seq, oldest: items[items.length - 1].seq }) : '';
    pageLabel.textContent = t('audit.page', { page: state.stack.length + 1 });
    const focused = document.activeElement;
    newer.disabled = state.stack.length === 0;
    older.disabled = state.next == null || !state.loaded || state.rangeError;
    // Reaching either end disables the button in use: hand focus to the other one.
    if (focused === newer && newer.disabled && !older.disabled) older.focus();
    if (focused === older && older.disabled && !newer.disabled) newer.focus();
  }

  onLanguageChange(() => { render(); renderHead(); });
  updateClear();
  renderHead();
  render();

  return {
    el,
    show() {
      // Reload the page in view: new entries appear on the newest page.
      load();
    },
    hide() { later.cancel(); },
  };
}
