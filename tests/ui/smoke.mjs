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

test('no console errors, warnings or CSP violations', () => {
  assert.deepEqual(problems, []);
});
