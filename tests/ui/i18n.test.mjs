// Dev-only: both translations have the same keys, and every key the UI
// names literally exists.   node --test tests/ui/i18n.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');
const en = (await import(join(ui, 'js/i18n/en.js'))).default;
const zh = (await import(join(ui, 'js/i18n/zh-CN.js'))).default;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'i18n' ? [] : sources(join(dir, e.name)))
      : e.name === 'i18n.js' ? [] // the implementation, whose comments show sample keys
      : /\.(js|html)$/.test(e.name) ? [readFileSync(join(dir, e.name), 'utf8')] : []);
}

test('en and zh-CN have the same keys', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
});

test('no empty strings', () => {
  for (const [k, v] of [...Object.entries(en), ...Object.entries(zh)]) {
    const forms = typeof v === 'object' ? Object.values(v) : [v];
    for (const f of forms) assert.ok(f.trim() !== '', k);
  }
});

test('every literal key used by the UI exists', () => {
  const text = sources(ui).join('\n');
  const used = new Set();
  for (const m of text.matchAll(/\bt\('([\w.-]+)'/g)) used.add(m[1]);
  for (const m of text.matchAll(/data-i18n['"]?\s*[:=]\s*['"]([\w.-]+)['"]/g)) used.add(m[1]);
  for (const m of text.matchAll(/data-i18n-attr['"]?\s*[:=]\s*['"`]([^'"`]+)['"`]/g)) {
    for (const pair of m[1].split(';')) if (!pair.includes('${')) used.add(pair.split(':')[1]);
  }
  assert.ok(used.size > 50, `found only ${used.size} keys`);
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

test('every contract enum value has a label', () => {
  const needed = [
    ...['ok', 'busy', 'degraded', 'offline'].map((s) => `health.${s}`),
    ...['received', 'done', 'failed', 'pending', 'sent', 'sending'].map((s) => `chat.status.${s}`),
    ...['connecting', 'connected', 'backoff', 'failed', 'paused', 'stopped'].map((s) => `channels.state.${s}`),
    ...['pending', 'fired', 'cancelled'].map((s) => `reminders.status.${s}`),
    ...['all', 'pending', 'fired', 'cancelled'].map((s) => `reminders.filter.${s}`),
    ...['system', 'light', 'dark'].map((s) => `settings.theme.${s}`),
    ...['chat', 'reminders', 'channels', 'permissions', 'audit', 'settings'].map((s) => `nav.${s}`),
    ...['all', 'allowed', 'denied', 'needs_approval', 'ok', 'error'].map((s) => `audit.result.${s}`),
    ...['time', 'actor', 'operation', 'target', 'args', 'result', 'duration'].map((s) => `audit.col.${s}`),
    ...['query', 'actor', 'channel', 'operation', 'result', 'from', 'to'].map((s) => `audit.filter.${s}`),
    // Approval statuses, and pairing statuses (rejected).
    ...['pending', 'approved', 'denied', 'expired', 'rejected'].map((s) => `requests.status.${s}`),
    ...['help', 'status', 'remind', 'reminders'].map((s) => `chat.cmd.${s}`),
  ];
  assert.deepEqual(needed.filter((k) => !(k in en)), []);
});
