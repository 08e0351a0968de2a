// Permissions page: pending approvals and pairings, the role × permission
// matrix and the user list, all from permissions.yaml through the shell.
import { api, events } from '../api.js';
import { h, icon, debounce, errorBanner, keepFocus } from '../dom.js';
import { t, onLanguageChange } from '../i18n.js';
import { fullDateTime, relativeTime } from '../format.js';

const USERS_PAGE = 20;
const POLL_MS = 5000;
const DECIDED_SHOWN = 20; // recent decided requests shown with "show recent"
// The same rules the shell applies (rbac/policy.rs and rbac/gate.rs).
const PERMISSION_RE = /^(\*|[A-Za-z0-9_.-]+:(\*|[A-Za-z0-9_.-]+))$/;
const ROLE_RE = /^[A-Za-z0-9_-]+$/;
const IDENTITY_RE = /^[^\s:]+:\S+$/;
const DECIDED_TONE = { approved: 'ok', denied: 'danger', rejected: 'danger', expired: 'neutral', pending: 'warn' };

// `granted` covers `wanted`: equal, `*`, or `area:*` for `area:…`.
export function covers(granted, wanted) {
  if (granted === '*' || granted === wanted) return true;
  if (!granted.endsWith(':*')) return false;
  const area = granted.slice(0, -2);
  const i = wanted.indexOf(':');
  return i > 0 && wanted.slice(0, i) === area;
}

// The matrix columns: the catalogue, then any other permission a role names.
export function matrixColumns(view) {
  const cols = [...(view.catalogue || [])];
  const extra = new Set();
  for (const perms of Object.values(view.roles || {})) {
    for (const p of perms) if (!cols.includes(p)) extra.add(p);
  }
  return cols.concat([...extra].sort());
}

function needsApproval(view, perm) {
  return [...(view.approval_floor || []), ...(view.approval_required || [])].some((a) => covers(a, perm));
}

// "4:07" or "1:02:09" until `iso`; null once it has passed.
function timeLeft(iso, now = Date.now()) {
  const ms = Date.parse(iso) - now;
  if (!(ms > 0)) return null;
  const s = Math.ceil(ms / 1000);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return { text: hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`, seconds: s };
}

function channelName(channel) {
  return t(`channels.kind.${channel}`, null, channel);
}

export function createPermissionsPage() {
  const state = {
    view: null, viewError: null, viewSig: '',
    approvals: [], pairings: [], reqLoaded: false, reqError: null, reqSig: '', showAll: false,
    answering: new Set(), answerError: null, answerNote: '',
    rolesError: null, usersError: null, usersNote: '',
    savingRoles: new Map(), savingUsers: new Map(),
    userQuery: '', userPage: 0, confirmingUser: null,
  };
  let visible = false;
  let pollTimer = 0;
  let tickTimer = 0;
  let reqSeq = 0;
  let viewSeq = 0;
  let edits = Promise.resolve();
  let pendingEdits = 0;

  // ---------- static structure ----------
  const pathEl = h('code', { class: 'file-path' });
  const fileNote = h('p', { class: 'file-note' }, icon('file'),
    h('span', null, h('span', { 'data-i18n': 'perm.file' }), ' ', pathEl, ' · ', h('span', { 'data-i18n': 'perm.fileNote' })));
  const problemSlot = h('div', { class: 'page-banner' });

  // Requests
  const reqCount = h('span', { class: 'badge', dataset: { tone: 'warn' }, hidden: true });
  const showAll = h('input', { type: 'checkbox', id: 'requests-all' });
  const reqBusy = h('div', { class: 'toolbar-status', 'aria-live': 'polite' });
  const reqError = h('div', { class: 'inline-error' });
  const reqNote = h('div', { class: 'section-note', role: 'status', 'aria-live': 'polite' });
  const reqBody = h('div', { class: 'requests-body' });
  const requestsCard = h('section', { class: 'card perm-card', id: 'perm-requests', 'aria-labelledby': 'requests-title', tabindex: '-1' },
    h('div', { class: 'card-body' },
      h('div', { class: 'section-head' },
        h('h2', { id: 'requests-title', class: 'card-title' }, h('span', { 'data-i18n': 'requests.title' }), reqCount),
        reqBusy,
        h('label', { class: 'check', for: 'requests-all' }, showAll, h('span', { 'data-i18n': 'requests.showAll' }))),
      h('p', { class: 'card-desc', 'data-i18n': 'requests.desc' }),
      reqError, reqNote, reqBody));

  // Roles
  const rolesError = h('div', { class: 'inline-error' });
  const matrixWrap = h('div', { class: 'table-wrap matrix-wrap', tabindex: '0', 'data-i18n-attr': 'aria-label:perm.roles' });
  const newRole = h('input', {
    id: 'role-new', class: 'input', type: 'text', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'role-new-error', 'data-i18n-attr': 'placeholder:perm.addRolePlaceholder;aria-label:perm.addRoleLabel',
  });
  const newRoleError = h('div', { class: 'field-error', id: 'role-new-error', 'aria-live': 'polite' });
  const addRoleForm = h('form', { class: 'add-form', novalidate: true },
    h('div', { class: 'add-field' }, newRole, newRoleError),
    h('button', { type: 'submit', class: 'btn' }, icon('plus'), h('span', { 'data-i18n': 'perm.addRole' })));
  const rolesCard = h('section', { class: 'card perm-card', 'aria-labelledby': 'roles-title' },
    h('div', { class: 'card-body' },
      h('h2', { id: 'roles-title', class: 'card-title', 'data-i18n': 'perm.roles' }),
      h('p', { class: 'card-desc', 'data-i18n': 'perm.rolesDesc' }),
      rolesError, matrixWrap, addRoleForm));

  // Users
  const usersError = h('div', { class: 'inline-error' });
  const usersNote = h('div', { class: 'section-note', role: 'status', 'aria-live': 'polite' });
  const newIdentity = h('input', {
    id: 'user-new-identity', class: 'input mono', type: 'text', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'user-new-error', 'data-i18n-attr': 'placeholder:users.identityPlaceholder;aria-label:users.identity',
  });
  const newUserRole = h('select', { id: 'user-new-role', class: 'select', 'data-i18n-attr': 'aria-label:users.role' });
  const newUserError = h('div', { class: 'field-error', id: 'user-new-error', 'aria-live': 'polite' });
  const addUserForm = h('form', { class: 'add-form add-user', novalidate: true },
    h('div', { class: 'add-field' }, newIdentity, newUserError), newUserRole,
    h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), h('span', { 'data-i18n': 'users.add' })));
  const userSearch = h('input', {
    id: 'user-search', class: 'input', type: 'search', autocomplete: 'off',
    'data-i18n-attr': 'placeholder:users.search;aria-label:users.search',
  });
  const usersBody = h('tbody');
  const usersWrap = h('div', { class: 'table-wrap', tabindex: '-1' },
    h('table', { class: 'table users-table' },
      h('colgroup', null, h('col', { class: 'c-identity' }), h('col', { class: 'c-role' }), h('col', { class: 'c-action' })),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col', 'data-i18n': 'users.identity' }),
        h('th', { scope: 'col', 'data-i18n': 'users.role' }),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', 'data-i18n': 'common.actions' })))),
      usersBody));
  const usersRange = h('div', { class: 'pager-range' });
  const usersPrev = h('button', { type: 'button', class: 'btn btn-sm', onclick: () => goUsers(state.userPage - 1) },
    icon('left'), h('span', { 'data-i18n': 'common.prev' }));
  const usersNext = h('button', { type: 'button', class: 'btn btn-sm', onclick: () => goUsers(state.userPage + 1) },
    h('span', { 'data-i18n': 'common.next' }), icon('right'));
  const usersPageLabel = h('span', { class: 'pager-label', 'aria-live': 'polite' });
  const usersCard = h('section', { class: 'card perm-card', 'aria-labelledby': 'users-title' },
    h('div', { class: 'card-body' },
      h('h2', { id: 'users-title', class: 'card-title', 'data-i18n': 'users.title' }),
      h('p', { class: 'card-desc', 'data-i18n': 'users.desc' }),
      usersError, addUserForm, usersNote,
      h('div', { class: 'toolbar' }, h('div', { class: 'field-search' }, icon('search'), userSearch)),
      usersWrap,
      h('nav', { class: 'pager', 'data-i18n-attr': 'aria-label:users.pagination' },
        usersRange, h('div', { class: 'pager-controls' }, usersPrev, usersPageLabel, usersNext))));

  const el = h('section', { class: 'page', id: 'page-permissions', 'aria-labelledby': 'permissions-title' },
    h('div', { class: 'page-scroll' }, h('div', { class: 'page-inner' },
      h('div', { class: 'page-head' }, h('div', null,
        h('h1', { id: 'permissions-title', 'data-i18n': 'perm.title' }),
        h('p', { 'data-i18n': 'perm.subtitle' }),
        fileNote)),
      problemSlot, requestsCard, rolesCard, usersCard)));

  // ---------- loading ----------
  async function loadView() {
    const mine = ++viewSeq;
    try {
      const view = await api.permissionsGet();
      if (mine !== viewSeq || pendingEdits > 0) return;
      adoptView(view);
      if (state.viewError) { state.viewError = null; renderView(); }
    } catch (err) {
      if (mine !== viewSeq) return;
      state.viewError = err;
      renderView();
    }
  }

  // Takes a fresh PermissionsView; re-renders only what changed.
  function adoptView(view) {
    const sig = JSON.stringify(view);
    if (sig === state.viewSig && state.view) return;
    state.viewSig = sig;
    state.view = view;
    renderView();
  }

  async function loadRequests() {
    const mine = ++reqSeq;
    const status = state.showAll ? 'all' : 'pending';
    if (!state.reqLoaded) renderRequests();
    try {
      const [approvals, pairings] = await Promise.all([api.approvalsList(status), api.pairingsList(status)]);
      if (mine !== reqSeq) return;
      const sig = JSON.stringify([status, approvals, pairings]);
      const changed = sig !== state.reqSig || !state.reqLoaded || state.reqError;
      state.reqSig = sig;
      state.approvals = approvals || [];
      state.pairings = pairings || [];
      state.reqLoaded = true;
      state.reqError = null;
      if (changed) renderRequests();
    } catch (err) {
      if (mine !== reqSeq) return;
      const changed = !state.reqError || state.reqError.message !== err.message;
      state.reqError = err;
      if (changed) renderRequests();
    }
  }

  const refreshSoon = debounce(() => { if (visible) { loadRequests(); loadView(); } }, 250);
  events.chatEntry(() => refreshSoon());

  showAll.addEventListener('change', () => {
    state.showAll = showAll.checked;
    state.reqLoaded = false;
    loadRequests();
  });

  // ---------- requests ----------
  async function answer(code, approve) {
    if (state.answering.has(code)) return;
    state.answering.add(code);
    state.answerError = null;
    state.answerNote = '';
    renderRequests();
    try {
      const entry = await api.requestAnswer(code, approve);
      state.answerNote = t('requests.sent', { text: (entry && entry.text) || `${approve ? '/approve' : '/deny'} ${code}` });
    } catch (err) {
      state.answerError = err;
    }
    state.answering.delete(code);
    renderRequests();
    await Promise.all([loadRequests(), loadView()]);
    // The answered row has gone: keep focus inside the card.
    if (!requestsCard.contains(document.activeElement)) requestsCard.focus({ preventScroll: true });
  }

  function answerButtons(kind, code, label, disabled) {
    const busy = state.answering.has(code);
    return h('div', { class: 'row-actions' },
      h('button', {
        type: 'button', class: 'btn btn-primary btn-sm approve', disabled: disabled || busy,
        dataset: { focusKey: `${kind}:${code}:approve` },
        'aria-label': t('requests.approveLabel', { what: label }),
        onclick: () => answer(code, true),
      }, icon('check'), t('requests.approve')),
      h('button', {
        type: 'button', class: 'btn btn-sm deny', disabled: disabled || busy,
        dataset: { focusKey: `${kind}:${code}:deny` },
        'aria-label': t('requests.denyLabel', { what: label }),
        onclick: () => answer(code, false),
      }, icon('x'), t('requests.deny')));
  }

  function decided(status, by) {
    return h('div', { class: 'row-status' },
      h('span', { class: 'badge', dataset: { tone: DECIDED_TONE[status] || 'neutral' } }, t(`requests.status.${status}`, null, status)),
      by ? h('span', { class: 'cell-sub cell-clip', title: by }, t('requests.by', { who: by })) : null);
  }

  function countdown(iso) {
    const left = timeLeft(iso);
    return h('time', {
      class: 'countdown', datetime: iso, title: fullDateTime(iso),
      dataset: { expires: iso, left: left ? 'some' : 'none', urgent: String(!!left && left.seconds < 60) },
    }, left ? t('requests.left', { time: left.text }) : t('requests.expiredNow'));
  }

  function approvalRow(a) {
    const pending = a.status === 'pending';
    const expired = pending && !timeLeft(a.expires_at);
    const channel = a.conversation && a.conversation.channel;
    const label = `${a.command} — ${a.requester}`;
    const sub = [channel ? channelName(channel) : null, t('requests.code', { code: a.code })].filter(Boolean).join(' · ');
    return h('tr', { class: 'approval-row', dataset: { code: a.code, status: a.status } },
      h('td', null,
        h('div', { class: 'cell-clip strong', title: a.requester }, a.requester),
        h('div', { class: 'cell-sub cell-clip', title: sub }, sub)),
      h('td', null,
        h('code', { class: 'cell-clip block request-command', title: a.command }, a.command),
        h('span', { class: 'perm-tag', title: t('requests.permission') }, a.permission)),
      h('td', { class: 'nowrap' }, pending ? countdown(a.expires_at)
        : h('time', { class: 'cell-sub', datetime: a.created_at, title: fullDateTime(a.created_at), dataset: { since: a.created_at } }, relativeTime(a.created_at))),
      h('td', { class: 'actions' }, pending ? answerButtons('approval', a.code, label, expired) : decided(a.status, a.decided_by)));
  }

  function pairingRow(p) {
    const pending = p.status === 'pending';
    const channel = (p.conversation && p.conversation.channel) || p.identity.split(':')[0];
    return h('tr', { class: 'pairing-row', dataset: { code: p.code, status: p.status } },
      h('td', null,
        h('div', { class: 'cell-clip strong mono', title: p.identity }, p.identity),
        h('div', { class: 'cell-sub' }, t('requests.code', { code: p.code }))),
      h('td', { class: 'cell-clip', title: channel }, channelName(channel)),
      h('td', { class: 'nowrap' }, h('time', { datetime: p.created_at, title: fullDateTime(p.created_at), dataset: { since: p.created_at } }, relativeTime(p.created_at))),
      h('td', { class: 'actions' }, pending ? answerButtons('pairing', p.code, p.identity, false) : decided(p.status, null)));
  }

  // Pending first (soonest to expire first), then the most recent decided ones.
  function arrange(list, pendingKey) {
    const pending = list.filter((x) => x.status === 'pending').sort((a, b) => String(a[pendingKey]).localeCompare(String(b[pendingKey])));
    const done = list.filter((x) => x.status !== 'pending').slice(0, DECIDED_SHOWN);
    return pending.concat(done);
  }

  function requestTable(kind, heads, rows) {
    const cls = ['c-who', 'c-what', 'c-when', 'c-act'];
    return h('div', { class: 'table-wrap requests-wrap' },
      h('table', { class: `table requests-table ${kind}-table` },
        h('colgroup', null, cls.map((c) => h('col', { class: c }))),
        h('thead', null, h('tr', null,
          heads.map((label) => h('th', { scope: 'col' }, label)),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))),
        h('tbody', null, rows)));
  }

  function renderRequests() {
    const pendingCount = state.approvals.filter((a) => a.status === 'pending').length
      + state.pairings.filter((p) => p.status === 'pending').length;
    reqCount.hidden = !state.reqLoaded || pendingCount === 0;
    reqCount.textContent = t('requests.pendingCount', { count: pendingCount });
    showAll.checked = state.showAll;
    reqBusy.replaceChildren(!state.reqLoaded && !state.reqError
      ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') }) : '');
    const err = state.answerError || state.reqError;
    reqError.replaceChildren(err ? errorBanner(err, {
      action: state.reqError ? h('button', { type: 'button', class: 'btn btn-sm', onclick: loadRequests }, t('common.retry')) : null,
    }) : '');
    reqNote.textContent = state.answerNote;

    keepFocus(reqBody, () => {
      if (!state.reqLoaded) {
        reqBody.replaceChildren(state.reqError ? '' : h('div', { class: 'skeleton-block', 'aria-hidden': 'true' },
          h('span', { class: 'skeleton', style: 'width:60%' }), h('span', { class: 'skeleton', style: 'width:40%' })));
        return;
      }
      const approvals = arrange(state.approvals, 'expires_at');
      const pairings = arrange(state.pairings, 'created_at');
      if (!approvals.length && !pairings.length) {
        reqBody.replaceChildren(h('div', { class: 'empty empty-compact' }, icon('inbox'),
          h('div', { class: 'empty-title' }, state.showAll ? t('requests.noneAllTitle') : t('requests.emptyTitle')),
          h('div', null, t('requests.emptyBody'))));
        return;
      }
      reqBody.replaceChildren(
        approvals.length ? h('div', { class: 'request-group' },
          h('h3', null, t('requests.approvals')),
          requestTable('approvals', [t('requests.col.requester'), t('requests.col.request'),
            state.showAll ? t('requests.col.whenAll') : t('requests.col.left')], approvals.map(approvalRow))) : null,
        pairings.length ? h('div', { class: 'request-group' },
          h('h3', null, t('requests.pairings')),
          requestTable('pairings', [t('requests.col.identity'), t('requests.col.channel'),
            t('requests.col.since')], pairings.map(pairingRow))) : null);
    });
  }

  // Once a second: countdowns and "since" labels, without rebuilding rows.
  function tick() {
    let expiredNow = false;
    for (const node of reqBody.querySelectorAll('.countdown')) {
      const left = timeLeft(node.dataset.expires);
      if (!left && node.dataset.left !== 'none') expiredNow = true;
      node.dataset.left = left ? 'some' : 'none';
      node.dataset.urgent = String(!!left && left.seconds < 60);
      node.textContent = left ? t('requests.left', { time: left.text }) : t('requests.expiredNow');
    }
    for (const node of reqBody.querySelectorAll('[data-since]')) node.textContent = relativeTime(node.dataset.since);
    if (expiredNow) { renderRequests(); loadRequests(); }
  }

  // ---------- edits (one at a time, in order) ----------
  function enqueue(fn) {
    pendingEdits++;
    const run = edits.then(fn).finally(() => { pendingEdits--; });
    edits = run.catch(() => {});
    return run;
  }

  function bump(map, key, by) {
    const n = (map.get(key) || 0) + by;
    if (n > 0) map.set(key, n); else map.delete(key);
  }

  // Optimistically shows `list` for `role`, then writes it; on failure the
  // error is shown and the file's real state reloaded.
  function saveRole(role, list) {
    state.view = { ...state.view, roles: { ...state.view.roles, [role]: list } };
    state.rolesError = null;
    bump(state.savingRoles, role, 1);
    renderView();
    return enqueue(async () => {
      try {
        const view = await api.permissionsSetRole(role, list);
        if (pendingEdits === 1) { state.view = view; state.viewSig = JSON.stringify(view); }
        return true;
      } catch (err) {
        state.rolesError = err;
        state.viewSig = '';
        await loadViewNow();
        return false;
      } finally {
        bump(state.savingRoles, role, -1);
        renderView();
      }
    });
  }

  function saveUser(identity, role) {
    const users = { ...state.view.users };
    if (role === null) delete users[identity]; else users[identity] = role;
    state.view = { ...state.view, users };
    state.usersError = null;
    bump(state.savingUsers, identity, 1);
    renderView();
    return enqueue(async () => {
      try {
        const view = await api.permissionsSetUser(identity, role);
        if (pendingEdits === 1) { state.view = view; state.viewSig = JSON.stringify(view); }
        return true;
      } catch (err) {
        state.usersError = err;
        state.viewSig = '';
        await loadViewNow();
        return false;
      } finally {
        bump(state.savingUsers, identity, -1);
        renderView();
      }
    });
  }

  async function loadViewNow() {
    try {
      state.view = await api.permissionsGet();
      state.viewSig = JSON.stringify(state.view);
    } catch (err) {
      state.viewError = err;
    }
  }

  function toggleCell(role, perm, on) {
    const cur = state.view.roles[role] || [];
    const next = on ? cur.filter((p) => p !== perm).concat(perm) : cur.filter((p) => p !== perm);
    saveRole(role, next);
  }

  // ---------- roles matrix ----------
  // One add-permission field per role, kept across renders so typing survives refreshes.
  const roleForms = new Map();
  let formIds = 0;
  function roleForm(role) {
    if (roleForms.has(role)) return roleForms.get(role);
    const id = `perm-add-${++formIds}`;
    const input = h('input', {
      id, class: 'input input-sm mono', type: 'text', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'area:action', dataset: { focusKey: `add:${role}` }, 'aria-describedby': `${id}-error`,
    });
    const error = h('div', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
    const button = h('button', { type: 'submit', class: 'btn btn-sm btn-icon', dataset: { focusKey: `addbtn:${role}` } }, icon('plus'));
    const form = h('form', { class: 'add-perm', novalidate: true }, h('div', { class: 'add-perm-row' }, input, button), error);
    const setError = (msg) => {
      error.textContent = msg;
      if (msg) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    };
    input.addEventListener('input', () => setError(''));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const perm = input.value.trim();
      const cur = (state.view && state.view.roles[role]) || [];
      if (!PERMISSION_RE.test(perm)) { setError(t('perm.addInvalid')); input.focus(); return; }
      if (cur.includes(perm)) { setError(t('perm.addDuplicate', { role, perm })); input.focus(); return; }
      setError('');
      if (await saveRole(role, cur.concat(perm))) input.value = '';
    });
    const entry = { form, input, button, relabel() {
      input.setAttribute('aria-label', t('perm.addPermLabel', { role }));
      button.setAttribute('aria-label', t('perm.addPermLabel', { role }));
      button.title = t('perm.addPerm');
    } };
    roleForms.set(role, entry);
    return entry;
  }

  function permHead(view, perm) {
    const i = perm.indexOf(':');
    const area = perm === '*' ? '*' : perm.slice(0, i);
    const action = perm === '*' ? t('perm.everything') : perm.slice(i + 1);
    const needs = needsApproval(view, perm);
    const floor = (view.approval_floor || []).some((f) => covers(f, perm));
    return h('th', { scope: 'col', class: 'perm-col', title: perm, dataset: { perm } },
      h('span', { class: 'perm-area' }, area),
      h('span', { class: 'perm-action' }, action === '*' ? t('perm.anyAction') : action),
      needs ? h('span', {
        class: 'mini-badge', title: floor ? t('perm.floorTip') : t('perm.requiredTip'),
      }, t('perm.needsApproval')) : null);
  }

  function cell(view, role, perm) {
    const grants = view.roles[role] || [];
    const direct = grants.includes(perm);
    const via = direct ? null : grants.find((g) => covers(g, perm));
    const tip = via ? t('perm.coveredBy', { grant: via }) : null;
    // Not disabled while saving (that would drop keyboard focus): edits queue up in order.
    const input = h('input', {
      type: 'checkbox', class: 'perm-cell',
      checked: direct || !!via, disabled: !!via,
      dataset: { role, perm, focusKey: JSON.stringify(['cell', role, perm]) },
      'aria-label': via ? t('perm.cellCovered', { role, perm, grant: via }) : t('perm.cellLabel', { role, perm }),
      title: tip,
    });
    input.addEventListener('change', () => toggleCell(role, perm, input.checked));
    return h('td', { class: via ? 'perm-td covered' : 'perm-td', title: tip }, input);
  }

  function renderMatrix() {
    const view = state.view;
    if (!view) {
      matrixWrap.replaceChildren(state.viewError ? '' : h('div', { class: 'skeleton-block', 'aria-hidden': 'true' },
        h('span', { class: 'skeleton', style: 'width:80%' }), h('span', { class: 'skeleton', style: 'width:65%' }),
        h('span', { class: 'skeleton', style: 'width:72%' })));
      return;
    }
    const cols = matrixColumns(view);
    const roles = Object.keys(view.roles || {});
    for (const role of roleForms.keys()) if (!roles.includes(role)) roleForms.delete(role);
    keepFocus(matrixWrap, () => {
      matrixWrap.replaceChildren(h('table', { class: 'matrix' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col', class: 'role-col' }, t('perm.role')),
          cols.map((p) => permHead(view, p)))),
        h('tbody', null, roles.map((role) => {
          const f = roleForm(role);
          f.relabel();
          const saving = state.savingRoles.has(role);
          return h('tr', { class: 'role-row', dataset: { role }, 'aria-busy': String(saving) },
            h('th', { scope: 'row', class: 'role-col' },
              h('div', { class: 'role-name' },
                h('span', { class: 'cell-clip', title: role }, role),
                role === view.default_role ? h('span', { class: 'mini-badge neutral', title: t('perm.defaultTip') }, t('perm.default')) : null,
                saving ? h('span', { class: 'spinner spinner-sm', role: 'status', 'aria-label': t('perm.saving') }) : null),
              f.form),
            cols.map((p) => cell(view, role, p)));
        }))));
    });
  }

  function addRole(e) {
    e.preventDefault();
    const name = newRole.value.trim();
    const setError = (msg) => {
      newRoleError.textContent = msg;
      if (msg) newRole.setAttribute('aria-invalid', 'true'); else newRole.removeAttribute('aria-invalid');
    };
    if (!state.view) return;
    if (!ROLE_RE.test(name)) { setError(t('perm.roleInvalid')); newRole.focus(); return; }
    if (name in state.view.roles) { setError(t('perm.roleExists', { role: name })); newRole.focus(); return; }
    setError('');
    saveRole(name, []).then((ok) => {
      if (!ok) return;
      newRole.value = '';
      const f = roleForms.get(name);
      if (f) f.input.focus();
    });
  }
  addRoleForm.addEventListener('submit', addRole);
  newRole.addEventListener('input', () => { newRoleError.textContent = ''; newRole.removeAttribute('aria-invalid'); });

  // ---------- users ----------
  function filteredUsers() {
    const users = (state.view && state.view.users) || {};
    const q = state.userQuery.trim().toLowerCase();
    return Object.keys(users).sort()
      .filter((id) => !q || id.toLowerCase().includes(q) || users[id].toLowerCase().includes(q))
      .map((id) => [id, users[id]]);
  }

  function userPages(n) { return Math.max(1, Math.ceil(n / USERS_PAGE)); }

  function goUsers(page) {
    const n = filteredUsers().length;
    state.userPage = Math.min(Math.max(0, page), userPages(n) - 1);
    state.confirmingUser = null;
    renderUsers();
  }

  const searchLater = debounce(() => { state.userPage = 0; state.confirmingUser = null; renderUsers(); }, 200);
  userSearch.addEventListener('input', () => { state.userQuery = userSearch.value; searchLater(); });

  function roleOptions(selected) {
    return Object.keys(state.view.roles).map((r) => h('option', { value: r, selected: r === selected }, r));
  }

  function removeUser(identity) {
    state.confirmingUser = null;
    state.usersNote = t('users.removed', { identity });
    saveUser(identity, null).then((ok) => {
      if (!ok) state.usersNote = '';
      renderUsers();
      usersWrap.focus({ preventScroll: true });
    });
  }

  function userActions(identity) {
    if (state.confirmingUser === identity) {
      const yes = h('button', {
        type: 'button', class: 'btn btn-danger btn-sm confirm-remove', dataset: { focusKey: `yes:${identity}` },
        onclick: () => removeUser(identity),
      }, t('users.confirmYes'));
      const no = h('button', {
        type: 'button', class: 'btn btn-ghost btn-sm', dataset: { focusKey: `no:${identity}` },
        onclick: () => { state.confirmingUser = null; renderUsers(); focusIn(`rm:${identity}`); },
      }, t('users.confirmNo'));
      const box = h('div', { class: 'confirm', role: 'group', 'aria-label': t('users.confirmLabel', { identity }) },
        h('span', { class: 'confirm-q' }, t('users.confirmQ')), yes, no);
      box.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') { state.confirmingUser = null; renderUsers(); focusIn(`rm:${identity}`); }
      });
      queueMicrotask(() => yes.focus());
      return h('td', { class: 'actions' }, box);
    }
    return h('td', { class: 'actions' }, h('button', {
      type: 'button', class: 'btn btn-ghost btn-sm remove',
      dataset: { focusKey: `rm:${identity}` },
      'aria-label': t('users.removeLabel', { identity }),
      onclick: () => { state.confirmingUser = identity; renderUsers(); },
    }, icon('trash'), t('users.remove')));
  }

  function focusIn(key) {
    const n = [...usersBody.querySelectorAll('[data-focus-key]')].find((x) => x.dataset.focusKey === key);
    if (n) n.focus();
  }

  function userRow([identity, role]) {
    const saving = state.savingUsers.has(identity);
    const select = h('select', {
      class: 'select select-sm role-select',
      dataset: { focusKey: `role:${identity}` },
      'aria-label': t('users.roleFor', { identity }),
    }, roleOptions(role));
    select.addEventListener('change', () => {
      state.usersNote = t('users.changed', { identity, role: select.value });
      saveUser(identity, select.value);
    });
    const channel = identity.split(':')[0];
    return h('tr', { class: 'user-row', dataset: { identity, role } },
      h('td', null,
        h('div', { class: 'cell-clip mono strong', title: identity }, identity),
        h('div', { class: 'cell-sub' }, channelName(channel))),
      h('td', null, h('div', { class: 'role-cell' }, select,
        saving ? h('span', { class: 'spinner spinner-sm', role: 'status', 'aria-label': t('perm.saving') }) : null)),
      userActions(identity));
  }

  function renderUsers() {
    usersError.replaceChildren(state.usersError ? errorBanner(state.usersError) : '');
    usersNote.textContent = state.usersNote;
    const view = state.view;
    // The add-user role picker follows the roles, keeping the user's choice.
    if (view) {
      const keep = newUserRole.value || view.default_role;
      const roles = Object.keys(view.roles);
      if ([...newUserRole.options].map((o) => o.value).join('\n') !== roles.join('\n')) {
        newUserRole.replaceChildren(...roles.map((r) => h('option', { value: r }, r)));
      }
      newUserRole.value = roles.includes(keep) ? keep : view.default_role;
    }
    if (!view) {
      usersBody.replaceChildren(...(state.viewError ? [] : Array.from({ length: 3 }, () => h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' },
        h('td', null, h('span', { class: 'skeleton', style: 'width:60%' })),
        h('td', null, h('span', { class: 'skeleton', style: 'width:90px' })), h('td')))));
      usersRange.textContent = '';
      usersPageLabel.textContent = '';
      usersPrev.disabled = usersNext.disabled = true;
      return;
    }
    const all = filteredUsers();
    const pages = userPages(all.length);
    if (state.userPage > pages - 1) state.userPage = pages - 1;
    const start = state.userPage * USERS_PAGE;
    const rows = all.slice(start, start + USERS_PAGE);
    keepFocus(usersBody, () => {
      if (!rows.length) {
        const filtered = state.userQuery.trim() !== '';
        usersBody.replaceChildren(h('tr', null, h('td', { colspan: '3' }, h('div', { class: 'empty empty-compact' },
          icon(filtered ? 'search' : 'user'),
          h('div', { class: 'empty-title' }, filtered ? t('users.noMatchTitle') : t('users.emptyTitle')),
          h('div', null, filtered ? t('users.noMatchBody') : t('users.emptyBody'))))));
      } else {
        usersBody.replaceChildren(...rows.map(userRow));
      }
    });
    usersRange.textContent = all.length ? t('common.range', { from: start + 1, to: start + rows.length, total: all.length }) : '';
    usersPageLabel.textContent = t('common.pageOf', { page: state.userPage + 1, pages });
    usersPrev.disabled = state.userPage <= 0;
    usersNext.disabled = state.userPage >= pages - 1;
  }

  function addUser(e) {
    e.preventDefault();
    if (!state.view) return;
    const identity = newIdentity.value.trim();
    const role = newUserRole.value;
    const setError = (msg) => {
      newUserError.textContent = msg;
      if (msg) newIdentity.setAttribute('aria-invalid', 'true'); else newIdentity.removeAttribute('aria-invalid');
    };
    if (!IDENTITY_RE.test(identity)) { setError(t('users.identityInvalid')); newIdentity.focus(); return; }
    if (identity in state.view.users) {
      setError(t('users.exists', { identity, role: state.view.users[identity] }));
      newIdentity.focus();
      return;
    }
    setError('');
    state.usersNote = t('users.added', { identity, role });
    saveUser(identity, role).then((ok) => {
      if (!ok) { state.usersNote = ''; renderUsers(); return; }
      newIdentity.value = '';
      // Show the page the new user landed on.
      state.userQuery = '';
      userSearch.value = '';
      const at = filteredUsers().findIndex(([id]) => id === identity);
      state.userPage = Math.max(0, Math.floor(at / USERS_PAGE));
      renderUsers();
      newIdentity.focus();
    });
  }
  addUserForm.addEventListener('submit', addUser);
  newIdentity.addEventListener('input', () => { newUserError.textContent = ''; newIdentity.removeAttribute('aria-invalid'); });

  // ---------- whole view ----------
  function renderView() {
    const view = state.view;
    pathEl.textContent = view ? view.path : '…';
    const banners = [];
    if (view && view.problem) {
      banners.push(h('div', { class: 'banner banner-danger', role: 'alert', id: 'perm-problem' }, icon('alert'), h('div', null,
        h('div', { class: 'banner-title' }, t('perm.problemTitle')),
        h('div', { class: 'banner-msg' }, view.problem),
        h('div', { class: 'banner-hint' }, t('perm.problemHint'), ' ', h('code', null, view.path)))));
    }
    if (state.viewError) {
      banners.push(errorBanner(state.viewError, {
        action: h('button', { type: 'button', class: 'btn btn-sm', onclick: () => { state.viewError = null; renderView(); loadView(); } }, t('common.retry')),
      }));
    }
    problemSlot.replaceChildren(...banners);
    rolesError.replaceChildren(state.rolesError ? errorBanner(state.rolesError) : '');
    for (const ctl of [newRole, newIdentity, newUserRole, userSearch]) ctl.disabled = !view;
    renderMatrix();
    renderUsers();
  }

  function renderAll() {
    renderView();
    renderRequests();
  }

  onLanguageChange(() => {
    state.answerNote = '';
    state.usersNote = '';
    renderAll();
  });
  renderAll();

  return {
    el,
    show() {
      visible = true;
      loadView();
      loadRequests();
      clearInterval(pollTimer);
      clearInterval(tickTimer);
      pollTimer = setInterval(() => {
        if (document.hidden) return; // the window is in the tray: catch up once it is back
        loadRequests();
        loadView();
      }, POLL_MS);
      tickTimer = setInterval(tick, 1000);
    },
    hide() {
      visible = false;
      clearInterval(pollTimer);
      clearInterval(tickTimer);
      refreshSoon.cancel();
      state.confirmingUser = null;
    },
  };
}
