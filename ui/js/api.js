// The only module that talks to the Tauri shell (see docs/ui-commands.md).
// Every failure is normalised to { code, message, hint }.
import { t } from './i18n.js';

function tauri() {
  return window.__TAURI__ || null;
}

export function normalizeError(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    return { code: err.code, message: String(err.message || err.code), hint: String(err.hint || '') };
  }
  // Tauri itself rejects with a plain string for e.g. argument errors.
  const message = typeof err === 'string' ? err : (err && err.message) || String(err);
  return { code: 'invalid', message, hint: '' };
}

async function call(cmd, args) {
  const shell = tauri();
  if (!shell || !shell.core || typeof shell.core.invoke !== 'function') {
    throw { code: 'engine_unavailable', message: t('errors.noShell'), hint: t('errors.noShellHint') };
  }
  try {
    return await shell.core.invoke(cmd, args);
  } catch (err) {
    throw normalizeError(err);
  }
}

// Subscribe to a shell event; returns an unsubscribe function.
export function on(event, cb) {
  const shell = tauri();
  if (!shell || !shell.event || typeof shell.event.listen !== 'function') return () => {};
  let unlisten = null;
  let stopped = false;
  Promise.resolve(shell.event.listen(event, (e) => cb(e && 'payload' in e ? e.payload : e)))
    .then((fn) => { if (stopped) fn(); else unlisten = fn; })
    .catch((err) => console.warn(`listen(${event}) failed`, err));
  return () => { stopped = true; if (unlisten) unlisten(); };
}

export const api = {
  appInfo: () => call('app_info'),
  chatHistory: (before, limit) => call('chat_history', { before: before ?? null, limit }),
  chatSend: (text) => call('chat_send', { text }),
  engineHealth: () => call('engine_health'),
  setChannelsPaused: (paused) => call('channels_set_paused', { paused }),
  remindersList: ({ query, status, page, pageSize }) => call('reminders_list', { query, status, page, pageSize }),
  reminderCancel: (id) => call('reminder_cancel', { id }),
  prefsGet: () => call('prefs_get'),
  prefsSet: (prefs) => call('prefs_set', { prefs }),
  permissionsGet: () => call('permissions_get'),
  permissionsSetRole: (role, permissions) => call('permissions_set_role', { role, permissions }),
  permissionsSetUser: (identity, role) => call('permissions_set_user', { identity, role: role ?? null }),
  approvalsList: (status) => call('approvals_list', { status }),
  pairingsList: (status) => call('pairings_list', { status }),
  requestAnswer: (code, approve) => call('request_answer', { code, approve }),
  // filters: { actor, channel, operation, result, query, from, to } — empty ones are left out.
  auditList: (filters, beforeSeq, limit) => call('audit_list', { ...compact(filters), ...(beforeSeq == null ? {} : { beforeSeq }), limit }),
  auditVerify: () => call('audit_verify'),
  auditExport: (format, filters) => call('audit_export', { format, ...compact(filters) }),
};

// Drops empty optional arguments so the shell sees them as absent.
function compact(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj || {})) {
    if (v !== null && v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

export const events = {
  chatEntry: (cb) => on('chat:entry', cb),
  health: (cb) => on('engine:health', cb),
};
