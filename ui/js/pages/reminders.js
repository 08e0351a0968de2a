// Reminders page: a paged, searchable table with a confirm step for cancel.
import { api } from '../api.js';
import { h, icon, debounce, errorBanner } from '../dom.js';
import { t, onLanguageChange } from '../i18n.js';
import { formatDateTime, fullDateTime, relativeTime } from '../format.js';

const PAGE_SIZE = 20;
const STATUSES = ['all', 'pending', 'fired', 'cancelled'];
const TONE = { pending: 'busy', fired: 'ok', cancelled: 'neutral' };

export function createRemindersPage() {
  const state = {
    query: '', status: 'all', page: 0,
    items: [], total: 0, loaded: false, loading: false, error: null,
    confirming: null, cancelling: null, cancelError: null,
  };
  let seq = 0;

  const search = h('input', {
    id: 'reminder-search', class: 'input', type: 'search', autocomplete: 'off',
    'data-i18n-attr': 'placeholder:reminders.search;aria-label:reminders.search',
  });
  const statusSelect = h('select', { id: 'reminder-status', class: 'select', 'data-i18n-attr': 'aria-label:reminders.filter' },
    STATUSES.map((s) => h('option', { value: s, 'data-i18n': `reminders.filter.${s}` })));
  const busy = h('div', { class: 'toolbar-status', 'aria-live': 'polite' });
  const errorSlot = h('div', { class: 'inline-error' });
  const tbody = h('tbody');
  const wrap = h('div', { class: 'table-wrap', tabindex: '-1' },
    h('table', { class: 'table reminders-table' },
      h('colgroup', null,
        h('col', { class: 'c-text' }), h('col', { class: 'c-due' }),
        h('col', { class: 'c-status' }), h('col', { class: 'c-action' })),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', 'data-i18n': 'reminders.col.text' }),
        h('th', { scope: 'col', 'data-i18n': 'reminders.col.due' }),
        h('th', { scope: 'col', 'data-i18n': 'reminders.col.status' }),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', 'data-i18n': 'reminders.col.actions' })))),
      tbody));
  const range = h('div', { class: 'pager-range' });
  const prev = h('button', { type: 'button', class: 'btn btn-sm', onclick: () => go(state.page - 1) },
    icon('left'), h('span', { 'data-i18n': 'reminders.prev' }));
  const next = h('button', { type: 'button', class: 'btn btn-sm', onclick: () => go(state.page + 1) },
    h('span', { 'data-i18n': 'reminders.next' }), icon('right'));
  const pageLabel = h('span', { class: 'pager-label', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'data-i18n-attr': 'aria-label:reminders.pagination' },
    range, h('div', { class: 'pager-controls' }, prev, pageLabel, next));

  const el = h('section', { class: 'page', id: 'page-reminders', 'aria-labelledby': 'reminders-title' },
    h('div', { class: 'page-scroll' }, h('div', { class: 'page-inner' },
      h('div', { class: 'page-head' }, h('div', null,
        h('h1', { id: 'reminders-title', 'data-i18n': 'reminders.title' }),
        h('p', { 'data-i18n': 'reminders.subtitle' }))),
      h('div', { class: 'toolbar' },
        h('div', { class: 'field-search' }, icon('search'), search),
        statusSelect, busy),
      errorSlot, wrap, pager)));

  function pages() {
    return Math.max(1, Math.ceil(state.total / PAGE_SIZE));
  }

  async function load() {
    const mine = ++seq;
    state.loading = true;
    render();
    try {
      const res = await api.remindersList({ query: state.query.trim(), status: state.status, page: state.page, pageSize: PAGE_SIZE });
      if (mine !== seq) return;
      state.items = res.items || [];
      state.total = Number(res.total) || 0;
      state.error = null;
      state.loaded = true;
      // The page emptied under us (e.g. after a cancel): step back.
      if (state.items.length === 0 && state.page > 0 && state.total > 0) {
        state.page = pages() - 1;
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

  function go(page) {
    state.page = Math.min(Math.max(0, page), pages() - 1);
    state.confirming = null;
    load();
  }

  const searchLater = debounce(() => go(0), 300);
  search.addEventListener('input', () => {
    state.query = search.value;
    searchLater();
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { searchLater.cancel(); go(0); }
  });
  statusSelect.addEventListener('change', () => {
    state.status = statusSelect.value;
    go(0);
  });

  async function cancel(id) {
    state.cancelling = id;
    state.cancelError = null;
    render();
    try {
      const updated = await api.reminderCancel(id);
      state.items = state.items.map((r) => (r.id === id ? updated : r));
      state.confirming = null;
    } catch (err) {
      state.cancelError = err;
    }
    state.cancelling = null;
    render();
    wrap.focus({ preventScroll: true });
    if (!state.cancelError) load();
  }

  function actionCell(r) {
    if (r.status !== 'pending') return h('td', { class: 'actions' });
    if (state.confirming === r.id) {
      const working = state.cancelling === r.id;
      const yes = h('button', {
        type: 'button', class: 'btn btn-danger btn-sm', disabled: working, onclick: () => cancel(r.id),
      }, t('reminders.confirmYes'));
      const no = h('button', {
        type: 'button', class: 'btn btn-ghost btn-sm', disabled: working,
        onclick: () => { state.confirming = null; render(); focusCancel(r.id); },
      }, t('reminders.confirmNo'));
      const box = h('div', { class: 'confirm', role: 'group', 'aria-label': t('reminders.confirmLabel', { text: r.text }) },
        h('span', { class: 'confirm-q' }, t('reminders.confirmQ')), yes, no);
      box.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') { state.confirming = null; render(); focusCancel(r.id); }
      });
      queueMicrotask(() => { if (!working) yes.focus(); });
      return h('td', { class: 'actions' }, box);
    }
    return h('td', { class: 'actions' }, h('button', {
      type: 'button', class: 'btn btn-sm', dataset: { action: 'cancel' },
      'aria-label': t('reminders.cancelLabel', { text: r.text }),
      onclick: () => { state.confirming = r.id; state.cancelError = null; render(); },
    }, t('reminders.cancel')));
  }

  function focusCancel(id) {
    const b = tbody.querySelector(`.reminder-row[data-id="${Number(id)}"] [data-action="cancel"]`);
    if (b) b.focus();
  }

  function row(r) {
    const where = [r.channel, r.conversation].filter(Boolean).join(' · ');
    return h('tr', { class: 'reminder-row', dataset: { id: String(r.id), status: r.status } },
      h('td', null,
        h('div', { class: 'reminder-text cell-clip', title: r.text }, r.text),
        where ? h('div', { class: 'cell-sub cell-clip', title: where }, where) : null),
      h('td', { class: 'reminder-due' },
        h('time', { datetime: r.due_at, title: fullDateTime(r.due_at) }, formatDateTime(r.due_at)),
        r.status === 'pending' ? h('span', { class: 'cell-sub' }, relativeTime(r.due_at)) : null),
      h('td', null, h('span', { class: 'badge', dataset: { tone: TONE[r.status] || 'neutral' } }, t(`reminders.status.${r.status}`))),
      actionCell(r));
  }

  function skeletonRows() {
    return Array.from({ length: 5 }, () => h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
      h('td', null, h('span', { class: 'skeleton', style: 'width:70%' })),
      h('td', null, h('span', { class: 'skeleton', style: 'width:60%' })),
      h('td', null, h('span', { class: 'skeleton', style: 'width:64px' })),
      h('td')));
  }

  function emptyRow() {
    const filtered = state.query.trim() !== '' || state.status !== 'all';
    return h('tr', null, h('td', { colspan: '4' }, h('div', { class: 'empty' },
      icon(filtered ? 'search' : 'bell'),
      h('div', { class: 'empty-title' }, t(filtered ? 'reminders.noMatchTitle' : 'reminders.emptyTitle')),
      h('div', null, t(filtered ? 'reminders.noMatchBody' : 'reminders.emptyBody')))));
  }

  function render() {
    wrap.setAttribute('aria-busy', String(state.loading));
    busy.replaceChildren(state.loading ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') }) : '');
    const err = state.cancelError || state.error;
    errorSlot.replaceChildren(err ? errorBanner(err, {
      action: state.error ? h('button', { type: 'button', class: 'btn btn-sm', onclick: load }, t('common.retry')) : null,
    }) : '');
    if (!state.loaded) tbody.replaceChildren(...(state.error ? [] : skeletonRows()));
    else if (state.items.length === 0) tbody.replaceChildren(emptyRow());
    else tbody.replaceChildren(...state.items.map(row));

    const total = state.total;
    const from = total === 0 ? 0 : state.page * PAGE_SIZE + 1;
    const to = Math.min(total, state.page * PAGE_SIZE + state.items.length);
    range.textContent = state.loaded && total > 0 ? t('reminders.range', { from, to, total }) : '';
    pageLabel.textContent = t('reminders.pageOf', { page: state.page + 1, pages: pages() });
    prev.disabled = state.page <= 0 || !state.loaded;
    next.disabled = state.page >= pages() - 1 || !state.loaded;
  }

  onLanguageChange(render);
  render();

  return {
    el,
    show() { load(); },
    hide() { state.confirming = null; },
  };
}
