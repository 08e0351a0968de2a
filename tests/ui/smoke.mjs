// Dev-only interaction smoke test of ui/ against the in-memory mock, driven
// through headless Chromium's DevTools protocol. No npm dependencies.
//
//   node --experimental-websocket --test tests/ui/smoke.mjs   (Node 20)
//   node --test tests/ui/smoke.mjs                             (Node 22+)
// Env: CHROMIUM (default "chromium"), SHOTS=dir to keep screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const procs = [];
let base = '';
let profile = '';
let cdp = null;
const problems = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function until(fn, what, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch { /* retry */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function connect(url) {
  const ws = new WebSocket(url);
  let id = 0;
  const waiting = new Map();
  const handlers = [];
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) reject(new Error(msg.error.message)); else resolve(msg.result);
    } else if (msg.method) {
      for (const h of handlers) h(msg);
    }
  };
  return new Promise((resolve) => {
    ws.onopen = () => resolve({
      send(method, params = {}) {
        return new Promise((res, rej) => { waiting.set(++id, { resolve: res, reject: rej }); ws.send(JSON.stringify({ id, method, params })); });
      },
      on(h) { handlers.push(h); },
      close() { ws.close(); },
    });
  });
}

async function evaluate(expression) {
  const r = await cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
  return r.result.value;
}

async function open(query, hash) {
  await cdp.send('Page.navigate', { url: `${base}/?${query}#/${hash}` });
  await until(() => evaluate(`document.querySelector('#health')?.getAttribute('aria-busy') === null`), 'health');
}

async function click(selector) {
  await until(() => evaluate(`!!document.querySelector(${JSON.stringify(selector)})`), selector);
  await evaluate(`document.querySelector(${JSON.stringify(selector)}).click()`);
}

async function key(keyName, modifiers = 0) {
  const code = { Enter: 13 }[keyName];
  const base = { key: keyName, code: keyName, windowsVirtualKeyCode: code, nativeVirtualKeyCode: code, modifiers };
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', ...base });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
}

async function shot(name) {
  if (!process.env.SHOTS) return;
  const { data } = await cdp.send('Page.captureScreenshot', { format: 'png' });
  writeFileSync(join(process.env.SHOTS, `${name}.png`), Buffer.from(data, 'base64'));
}

before(async () => {
  const port = await freePort();
  const server = spawn('python3', [join(here, 'serve.py'), '--port', String(port)], { stdio: 'ignore' });
  procs.push(server);
  base = `http://127.0.0.1:${port}`;
  profile = mkdtempSync(join(tmpdir(), 'molten-ui-'));
  const chrome = spawn(process.env.CHROMIUM || 'chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--hide-scrollbars', '--window-size=1080,720', `--user-data-dir=${profile}`,
    '--remote-debugging-port=0', 'about:blank'], { stdio: 'ignore' });
  procs.push(chrome);
  const portFile = join(profile, 'DevToolsActivePort');
  await until(() => existsSync(portFile) && readFileSync(portFile, 'utf8').includes('\n'), 'DevToolsActivePort', 15000);
  const devPort = readFileSync(portFile, 'utf8').split('\n')[0];
  const targets = await until(async () => (await fetch(`http://127.0.0.1:${devPort}/json/list`)).json(), 'targets');
  const page = targets.find((t) => t.type === 'page');
  cdp = await connect(page.webSocketDebuggerUrl);
  cdp.on((m) => {
    if (m.method === 'Runtime.exceptionThrown') problems.push(m.params.exceptionDetails.exception?.description || m.params.exceptionDetails.text);
    if (m.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(m.params.type)) {
      problems.push(`console.${m.params.type}: ${m.params.args.map((a) => a.value ?? a.description).join(' ')}`);
    }
    if (m.method === 'Log.entryAdded' && ['error', 'warning'].includes(m.params.entry.level)) problems.push(`log: ${m.params.entry.text}`);
  });
  await cdp.send('Runtime.enable');
  await cdp.send('Log.enable');
  await cdp.send('Page.enable');
  await until(async () => (await fetch(base)).ok, 'preview server');
});

after(async () => {
  if (cdp) cdp.close();
  await Promise.all(procs.map((p) => new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', resolve);
    p.kill();
  })));
  if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

test('header shows engine health', async () => {
  await open('lang=en&theme=light', 'chat');
  const state = await evaluate(`document.querySelector('#health').dataset.state`);
  assert.ok(['ok', 'busy', 'degraded', 'offline'].includes(state), state);
});

test('chat: history, send with Enter, reply, multi-line and safe text', async () => {
  await open('lang=en&theme=light', 'chat');
  await until(() => evaluate(`document.querySelectorAll('#chat-log .chat-entry').length > 0`), 'history');
  assert.equal(await evaluate(`document.querySelector('#chat-send').disabled`), true);
  await evaluate(`document.querySelector('#chat-input').focus()`);
  await cdp.send('Input.insertText', { text: 'line one' });
  await key('Enter', 8); // Shift+Enter: newline, no send
  await cdp.send('Input.insertText', { text: '<b>two</b>' });
  assert.equal(await evaluate(`document.querySelector('#chat-input').value`), 'line one\n<b>two</b>');
  assert.equal(await evaluate(`document.querySelector('#chat-send').disabled`), false);
  await key('Enter');
  const sent = `[...document.querySelectorAll('#chat-log .chat-entry[data-direction="in"]')].filter((e) => e.querySelector('.chat-text').textContent === 'line one\\n<b>two</b>')`;
  await until(() => evaluate(`${sent}.length === 1 && ${sent}[0].dataset.status === 'done'`), 'sent message done');
  assert.equal(await evaluate(`${sent}[0].querySelector('.chat-text b')`), null);
  assert.match(await evaluate(`${sent}[0].dataset.id`), /^\d+$/);
  await until(() => evaluate(`document.querySelector('#chat-log .chat-entry:last-of-type').dataset.direction === 'out'`), 'reply');
  const ids = await evaluate(`[...document.querySelectorAll('#chat-log .chat-entry')].map((e) => e.dataset.id)`);
  assert.equal(new Set(ids).size, ids.length, 'no duplicate entries');
  assert.equal(await evaluate(`document.querySelector('#chat-input').value`), '');
  await shot('smoke-chat-sent');
});

test('chat: load earlier on scroll up, command chips fill the input', async () => {
  await open('lang=en&theme=dark', 'chat');
  await until(() => evaluate(`document.querySelectorAll('#chat-log .chat-entry').length === 50`), '50 entries');
  await evaluate(`document.querySelector('#chat-log').scrollTop = 0`);
  await until(() => evaluate(`document.querySelectorAll('#chat-log .chat-entry').length === 70`), 'older page');
  const ids = await evaluate(`[...document.querySelectorAll('#chat-log .chat-entry')].map((e) => +e.dataset.id)`);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'sorted by id');
  await click('.chip[data-cmd="/remind"]');
  assert.equal(await evaluate(`document.querySelector('#chat-input').value`), '/remind ');
});

test('chat: a failed send shows message and hint and keeps the text', async () => {
  await open('lang=en&theme=light&fail=chat_send', 'chat');
  await evaluate(`document.querySelector('#chat-input').focus()`);
  await cdp.send('Input.insertText', { text: 'hello' });
  await click('#chat-send');
  await until(() => evaluate(`!!document.querySelector('.composer [role="alert"]')`), 'error banner');
  const text = await evaluate(`document.querySelector('.composer [role="alert"]').textContent`);
  assert.match(text, /not running/);
  assert.match(text, /Restart Molten/);
  assert.equal(await evaluate(`document.querySelector('#chat-input').value`), 'hello');
  assert.equal(await evaluate(`document.querySelectorAll('.chat-entry[data-status="sending"]').length`), 0);
  await shot('smoke-chat-error');
});

test('reminders: paging, search, cancel with confirm', async () => {
  await open('lang=en&theme=light', 'chat');
  await click('#nav-reminders');
  await until(() => evaluate(`document.querySelectorAll('.reminder-row').length === 20`), '20 rows');
  assert.match(await evaluate(`document.querySelector('.pager-label').textContent`), /Page 1 of 2/);
  await click('.pager-controls button:last-child');
  await until(() => evaluate(`document.querySelectorAll('.reminder-row').length === 6`), 'page 2');
  await evaluate(`document.querySelector('#reminder-search').focus()`);
  await cdp.send('Input.insertText', { text: 'milk' });
  await until(() => evaluate(`document.querySelectorAll('.reminder-row').length === 2`), 'search results');
  await evaluate(`(() => { const s = document.querySelector('#reminder-search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`);
  await until(() => evaluate(`document.querySelectorAll('.reminder-row').length === 20`), 'cleared search');
  const id = await evaluate(`document.querySelector('.reminder-row[data-status="pending"]').dataset.id`);
  await click(`.reminder-row[data-id="${id}"] [data-action="cancel"]`);
  await until(() => evaluate(`!!document.querySelector('.reminder-row[data-id="${id}"] .confirm')`), 'confirm step');
  await shot('smoke-reminders-confirm');
  await click(`.reminder-row[data-id="${id}"] .confirm .btn-danger`);
  await until(() => evaluate(`document.querySelector('.reminder-row[data-id="${id}"]')?.dataset.status === 'cancelled'`), 'cancelled');
});

test('channels: cards and pause/resume all', async () => {
  await open('lang=zh-CN&theme=dark', 'channels');
  await until(() => evaluate(`document.querySelectorAll('.channel-card').length === 2`), 'cards');
  await click('#channels-toggle');
  await until(() => evaluate(`document.querySelector('#channels-toggle').getAttribute('aria-pressed') === 'true'`), 'paused');
  assert.match(await evaluate(`document.querySelector('#health').textContent`), /已暂停/);
  await shot('smoke-channels-paused');
  await click('#channels-toggle');
  await until(() => evaluate(`document.querySelector('#channels-toggle').getAttribute('aria-pressed') === 'false'`), 'resumed');
});

test('settings: theme and language apply at once', async () => {
  await open('lang=en&theme=light', 'settings');
  await click('#pref-theme-dark');
  await until(() => evaluate(`document.documentElement.dataset.theme === 'dark'`), 'dark theme');
  await click('#pref-language-zh-CN');
  await until(() => evaluate(`document.documentElement.lang === 'zh-CN'`), 'zh-CN');
  assert.equal(await evaluate(`document.querySelector('#nav-chat .nav-label').textContent`), '对话');
  assert.match(await evaluate(`document.querySelector('.about').textContent`), /0\.1\.0/);
});

test('startup error banner shows on every page', async () => {
  await open('lang=en&theme=light&startup_error=1', 'reminders');
  await until(() => evaluate(`!document.querySelector('#startup-banner').hidden`), 'banner');
  assert.match(await evaluate(`document.querySelector('#startup-banner').textContent`), /locked.*Quit the other/s);
});

// Sets a field's value as typing would (input event), or a select's (change event).
async function fill(selector, value) {
  await until(() => evaluate(`!!document.querySelector(${JSON.stringify(selector)})`), selector);
  await evaluate(`(() => { const el = document.querySelector(${JSON.stringify(selector)});
    el.value = ${JSON.stringify(value)};
    el.dispatchEvent(new Event(el.tagName === 'SELECT' || el.type === 'date' ? 'change' : 'input', { bubbles: true })); })()`);
}
const count = (sel) => evaluate(`document.querySelectorAll(${JSON.stringify(sel)}).length`);
const seqs = () => evaluate(`[...document.querySelectorAll('.audit-row')].map((r) => +r.dataset.seq)`);

test('permissions: nav, pending requests with countdowns, approve and deny', async () => {
  await open('lang=en&theme=light', 'chat');
  await click('#nav-permissions');
  await until(() => evaluate(`document.querySelector('#nav-permissions').getAttribute('aria-current') === 'page'`), 'nav current');
  await until(async () => (await count('.approval-row[data-code]')) === 3 && (await count('.pairing-row[data-code]')) === 2, 'requests');
  assert.match(await evaluate(`document.querySelector('.approval-row .countdown').textContent`), /^\d+:\d\d left$/);
  const code = await evaluate(`[...document.querySelectorAll('.approval-row')].find((r) => r.textContent.includes('file:delete')).dataset.code`);
  await shot('smoke-permissions-requests');
  await click(`.approval-row[data-code="${code}"] .approve`);
  await until(async () => (await count(`.approval-row[data-code="${code}"]`)) === 0, 'answered row gone');
  assert.ok(await evaluate(`window.__MOLTEN_MOCK__.chat.some((e) => e.text === '/approve ${code}')`), 'owner message sent');
  assert.match(await evaluate(`document.querySelector('#perm-requests .section-note').textContent`), new RegExp(`/approve ${code}`));
  const pair = await evaluate(`document.querySelector('.pairing-row').dataset.code`);
  const who = await evaluate(`document.querySelector('.pairing-row').querySelector('.mono').textContent`);
  await click(`.pairing-row[data-code="${pair}"] .approve`);
  await until(async () => (await count(`.pairing-row[data-code="${pair}"]`)) === 0, 'pairing answered');
  await until(() => evaluate(`!!document.querySelector('.user-row[data-identity="${who}"]') || window.__MOLTEN_MOCK__.policy.users['${who}'] === 'user'`), 'paired user listed');
  const other = await evaluate(`document.querySelector('.pairing-row').dataset.code`);
  await click(`.pairing-row[data-code="${other}"] .deny`);
  await until(async () => (await count('.pairing-row')) === 0, 'pairing denied');
  // A new request announced in chat shows up without waiting for the 5 s poll.
  const fresh = await evaluate(`window.__MOLTEN_MOCK__.requestApproval()`);
  await until(async () => (await count(`.approval-row[data-code="${fresh}"]`)) === 1, 'request from chat:entry', 2000);
  await click('#requests-all');
  await until(() => evaluate(`!!document.querySelector('.approval-row[data-status="approved"]') && !!document.querySelector('.pairing-row[data-status="rejected"]')`), 'decided rows');
  await shot('smoke-permissions-all');
  await click('#requests-all');
  await until(async () => (await count('.approval-row[data-status="approved"]')) === 0, 'pending only again');
});

test('permissions: matrix cells, wildcards, approval badges, custom permission and role', async () => {
  await open('lang=en&theme=dark', 'permissions');
  const cellSel = (role, perm) => `input.perm-cell[data-role="${role}"][data-perm="${perm}"]`;
  await until(() => evaluate(`!!document.querySelector(${JSON.stringify(cellSel('viewer', 'file:read'))})`), 'matrix');
  const cell = (role, perm) => evaluate(`(() => { const c = document.querySelector(${JSON.stringify(cellSel(role, perm))});
    return c && { checked: c.checked, disabled: c.disabled, title: c.closest('td').title }; })()`);
  assert.deepEqual(await cell('viewer', 'file:read'), { checked: false, disabled: false, title: '' });
  assert.deepEqual(await cell('admin', 'file:read'), { checked: true, disabled: true, title: 'Granted by “*”' });
  assert.deepEqual(await cell('family', 'file:delete'), { checked: true, disabled: true, title: 'Granted by “file:*”' });
  assert.deepEqual(await cell('admin', '*'), { checked: true, disabled: false, title: '' }, 'the wildcard itself is a column');
  assert.ok(await cell('family', 'calendar:read'), 'extra permissions from roles are columns');
  const badge = (perm) => evaluate(`!!document.querySelector('th[data-perm="${perm}"] .mini-badge')`);
  assert.equal(await badge('system:reboot'), true, 'floor');
  assert.equal(await badge('mcp:*'), true, 'floor wildcard');
  assert.equal(await badge('model:switch'), true, 'approval_required');
  assert.equal(await badge('status:read'), false);
  await click(cellSel('viewer', 'file:read'));
  await until(() => evaluate(`window.__MOLTEN_MOCK__.policy.roles.viewer.includes('file:read')`), 'granted in the file');
  assert.equal((await cell('viewer', 'file:read')).checked, true);
  await click(cellSel('viewer', 'file:read'));
  await until(() => evaluate(`!window.__MOLTEN_MOCK__.policy.roles.viewer.includes('file:read')`), 'revoked in the file');
  // Custom permission: validated, then a new column.
  const add = `.role-row[data-role="viewer"] .add-perm`;
  await fill(`${add} input`, 'not a permission');
  await click(`${add} button`);
  await until(() => evaluate(`document.querySelector('${add} .field-error').textContent.includes('area:action')`), 'validation message');
  assert.equal(await evaluate(`document.querySelector('${add} input').getAttribute('aria-invalid')`), 'true');
  await fill(`${add} input`, 'weather:read');
  await click(`${add} button`);
  await until(() => evaluate(`document.querySelector(${JSON.stringify(cellSel('viewer', 'weather:read'))})?.checked === true`), 'new column');
  await until(() => evaluate(`document.querySelector('${add} input').value === '' && window.__MOLTEN_MOCK__.policy.roles.viewer.includes('weather:read')`), 'saved, field cleared');
  // Keyboard: Space toggles a focused cell; focus stays on it through the save.
  await evaluate(`document.querySelector(${JSON.stringify(cellSel('user', 'file:read'))}).focus()`);
  const space = { key: ' ', code: 'Space', windowsVirtualKeyCode: 32, nativeVirtualKeyCode: 32 };
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', text: ' ', ...space });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...space });
  await until(() => evaluate(`window.__MOLTEN_MOCK__.policy.roles.user.includes('file:read')`), 'granted by keyboard');
  await sleep(300);
  assert.deepEqual(await evaluate(`[document.activeElement.dataset.role, document.activeElement.dataset.perm, document.activeElement.checked]`), ['user', 'file:read', true]);
  // A refresh that changes the matrix keeps what is being typed, and the focus.
  await evaluate(`document.querySelector('${add} input').focus()`);
  await cdp.send('Input.insertText', { text: 'half:typ' });
  await evaluate(`window.__MOLTEN_MOCK__.policy.roles.viewer.push('reminder:manage'); window.__MOLTEN_MOCK__.emit('chat:entry', { id: 0 })`);
  await until(() => evaluate(`document.querySelector(${JSON.stringify(cellSel('viewer', 'reminder:manage'))}).checked`), 'refreshed matrix');
  assert.equal(await evaluate(`document.activeElement === document.querySelector('${add} input') && document.activeElement.value`), 'half:typ');
  await fill(`${add} input`, '');
  await fill('#role-new', 'has space');
  await click('#role-new ~ button, .add-form:not(.add-user):not(.add-perm) button[type="submit"]');
  await until(() => evaluate(`document.querySelector('#role-new-error').textContent !== ''`), 'role name validated');
  await fill('#role-new', 'guests');
  await click('.add-form:not(.add-user):not(.add-perm) button[type="submit"]');
  await until(() => evaluate(`!!document.querySelector('.role-row[data-role="guests"]')`), 'new role row');
  await until(() => evaluate(`JSON.stringify(window.__MOLTEN_MOCK__.policy.roles.guests) === '[]'`), 'role written');
  await shot('smoke-permissions-matrix');
});

test('permissions: users search, paging, role change, remove with confirm, add', async () => {
  await open('lang=en&theme=light', 'permissions');
  await until(async () => (await count('.user-row[data-identity]')) === 20, '20 users');
  assert.match(await evaluate(`document.querySelector('#page-permissions .pager-label').textContent`), /Page 1 of 2/);
  await click('#page-permissions .pager-controls button:last-child');
  await until(async () => (await count('.user-row')) === 7, 'page 2');
  await fill('#user-search', 'discord');
  await until(async () => (await count('.user-row')) === 2, 'search');
  await fill('.user-row[data-identity="discord:alex"] select.role-select', 'viewer');
  await until(() => evaluate(`window.__MOLTEN_MOCK__.policy.users['discord:alex'] === 'viewer'`), 'role changed');
  await click('.user-row[data-identity="discord:alex"] .remove');
  await until(() => evaluate(`!!document.querySelector('.user-row[data-identity="discord:alex"] .confirm')`), 'confirm step');
  assert.equal(await evaluate(`document.activeElement.classList.contains('confirm-remove')`), true, 'focus on confirm');
  await shot('smoke-permissions-remove');
  await click('.user-row[data-identity="discord:alex"] .confirm-remove');
  await until(async () => (await count('.user-row[data-identity="discord:alex"]')) === 0, 'removed');
  await until(() => evaluate(`!('discord:alex' in window.__MOLTEN_MOCK__.policy.users)`), 'removed from the file');
  await fill('#user-new-identity', 'nocolon');
  await click('.add-user button[type="submit"]');
  await until(() => evaluate(`document.querySelector('#user-new-error').textContent.includes('channel:user-id')`), 'identity validated');
  await fill('#user-new-identity', 'telegram:424242');
  await fill('#user-new-role', 'viewer');
  await click('.add-user button[type="submit"]');
  await until(() => evaluate(`document.querySelector('.user-row[data-identity="telegram:424242"]')?.dataset.role === 'viewer'`), 'user added and shown');
});

test('permissions: invalid file banner; a refused edit shows message and hint and reverts', async () => {
  await open('lang=en&theme=light&perm_problem=1', 'permissions');
  await until(() => evaluate(`!!document.querySelector('#perm-problem')`), 'problem banner');
  assert.match(await evaluate(`document.querySelector('#perm-problem').textContent`), /previous policy.*boss.*permissions\.yaml/s);
  const sel = 'input.perm-cell[data-role="viewer"][data-perm="file:read"]';
  await click(sel);
  await until(() => evaluate(`!!document.querySelector('#page-permissions .perm-card [role="alert"]')`), 'edit error');
  assert.match(await evaluate(`document.querySelector('#page-permissions .perm-card [role="alert"]').textContent`), /Fix .*permissions\.yaml first/);
  await until(() => evaluate(`document.querySelector('${sel}').checked === false`), 'reverted');
  await shot('smoke-permissions-problem');
});

test('audit: 50 rows a page, keyset paging older/newer, details, filters', async () => {
  await open('lang=en&theme=light', 'chat');
  await click('#nav-audit');
  await until(async () => (await count('.audit-row[data-seq]')) === 50, '50 rows');
  assert.equal((await seqs())[0], 236);
  assert.equal(await evaluate(`document.querySelector('#audit-newer').disabled`), true);
  await click('#audit-older');
  await until(async () => (await seqs())[0] === 186, 'older page');
  await click('#audit-older');
  await until(async () => (await seqs())[0] === 136, 'older again');
  await click('#audit-newer');
  await until(async () => (await seqs())[0] === 186, 'back one');
  await click('#audit-newer');
  await until(async () => (await seqs())[0] === 236, 'newest');
  assert.equal(await evaluate(`document.querySelector('#audit-newer').disabled`), true);
  await click('.audit-row[data-seq="236"] .row-toggle');
  await until(() => evaluate(`!!document.querySelector('#audit-detail-236')`), 'details');
  assert.match(await evaluate(`document.querySelector('#audit-detail-236').textContent`), /[0-9a-f]{64}/);
  await fill('#audit-result-filter', 'denied');
  await until(async () => { const r = await evaluate(`[...document.querySelectorAll('.audit-row')].map((x) => x.dataset.result)`); return r.length > 0 && r.every((x) => x === 'denied'); }, 'result filter');
  await fill('#audit-actor', 'telegram:88811');
  await until(async () => { const r = await evaluate(`[...document.querySelectorAll('.audit-row')].map((x) => x.textContent)`); return r.length > 0 && r.every((x) => x.includes('telegram:88811')); }, 'actor filter');
  await click('#audit-clear');
  await until(async () => (await count('.audit-row')) === 50, 'cleared');
  await fill('#audit-from', '2030-01-02');
  await fill('#audit-to', '2030-01-01');
  await until(() => evaluate(`document.querySelector('.filters-note').textContent.includes('From')`), 'range note');
  assert.equal(await count('.audit-row'), 0);
  await click('#audit-clear');
  await fill('#audit-query', 'no-such-thing-anywhere');
  await until(() => evaluate(`document.querySelector('.audit-table .empty-title')?.textContent === 'No entries match these filters'`), 'no match');
});

test('audit: responses for stale filters are ignored', async () => {
  await open('lang=en&theme=light&jitter=500', 'audit');
  await until(async () => (await count('.audit-row')) === 50, 'rows');
  for (const r of ['ok', 'denied', 'allowed', 'needs_approval', 'error']) await fill('#audit-result-filter', r);
  assert.equal(await count('.audit-table .loading-row'), 1, 'loading row while waiting');
  await sleep(1200);
  const results = await evaluate(`[...document.querySelectorAll('.audit-row')].map((x) => x.dataset.result)`);
  assert.ok(results.length > 0 && results.every((x) => x === 'error'), `only the last filter's rows: ${[...new Set(results)]}`);
});

test('audit: verify chain and export', async () => {
  await open('lang=en&theme=light', 'audit');
  await click('#audit-verify');
  await until(() => evaluate(`document.querySelector('#audit-result').dataset.ok === 'true'`), 'verified');
  assert.match(await evaluate(`document.querySelector('#audit-result').textContent`), /236 entries verified/);
  await click('#audit-export-csv');
  await until(() => evaluate(`/exports\\/audit-.*\\.csv/.test(document.querySelector('#audit-export-result').textContent)`), 'csv path');
  assert.match(await evaluate(`document.querySelector('#audit-export-result').textContent`), /Exported 236 entries/);
  await click('#audit-export-json');
  await until(() => evaluate(`/\\.json/.test(document.querySelector('#audit-export-result').textContent)`), 'json path');
  await shot('smoke-audit-verified');
  await open('lang=zh-CN&theme=dark&audit_broken=1', 'audit');
  await click('#audit-verify');
  await until(() => evaluate(`document.querySelector('#audit-result').dataset.ok === 'false'`), 'broken');
  assert.match(await evaluate(`document.querySelector('#audit-result').textContent`), /#118.*导出/s);
  await shot('smoke-audit-broken');
  await open('lang=en&theme=light&fail=audit_verify', 'audit');
  await click('#audit-verify');
  await until(() => evaluate(`/not running.*Restart Molten/s.test(document.querySelector('#audit-result').textContent)`), 'verify error with hint');
});

test('no console errors, warnings or CSP violations', () => {
  assert.deepEqual(problems, []);
});
