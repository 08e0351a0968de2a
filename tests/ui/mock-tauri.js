// Dev-only stand-in for the Tauri shell: implements docs/ui-commands.md in memory
// so ui/ can be previewed in a plain browser. Loaded before the app by serve.py.
//
// URL query knobs: ?theme=light|dark|system  ?lang=en|zh-CN|system
//   ?startup_error=1  ?latency=MS  ?empty=1 (no history, reminders, channels,
//   requests or audit entries)  ?fail=CMD (that command rejects with
//   engine_unavailable)  ?paused=1  ?perm_problem=1 (permissions.yaml on disk is
//   invalid)  ?audit_broken=1 (audit_verify finds a break)  ?jitter=MS (audit_list
//   answers after a random extra 0..MS, so responses can arrive out of order)
(function () {
  'use strict';
  const q = new URLSearchParams(location.search);
  const LATENCY = Number(q.get('latency') || 120);
  const JITTER = Number(q.get('jitter') || 0);
  const EMPTY = q.get('empty') === '1';
  const FAIL = q.get('fail') || '';
  const zh = (q.get('lang') || '').startsWith('zh') ||
    (!q.get('lang') && /^zh/i.test(navigator.language || ''));

  const listeners = new Map();
  function emit(event, payload) {
    for (const cb of listeners.get(event) || []) cb({ event, id: 0, payload: clone(payload) });
  }
  const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
  const iso = (offsetSec) => new Date(Date.now() + offsetSec * 1000).toISOString();
  const err = (code, message, hint) => ({ code, message, hint });

  // ---------- chat ----------
  let nextChatId = 1;
  const chat = [];
  const SAMPLE = zh ? [
    ['in', '早上好！今天有什么安排？'],
    ['out', '早上好！你今天有两个提醒：\n• 10:00 团队周会\n• 15:30 给妈妈打电话'],
    ['in', '/remind 30m 喝水'],
    ['out', '好的，30 分钟后提醒你：喝水。'],
    ['in', '谢谢，帮我总结一下昨天的笔记？'],
    ['out', '昨天你记了三件事：\n1. 发布 0.1.0 版本\n2. 修复托盘图标在深色模式下的显示\n3. 周五前回复设计评审'],
  ] : [
    ['in', 'Good morning! What is on my plate today?'],
    ['out', 'Good morning! You have two reminders today:\n• 10:00 team sync\n• 15:30 call Mum'],
    ['in', '/remind 30m drink water'],
    ['out', 'OK, I will remind you to drink water in 30 minutes.'],
    ['in', 'Thanks. Can you summarise yesterday’s notes?'],
    ['out', 'Yesterday you noted three things:\n1. Ship version 0.1.0\n2. Fix the tray icon in dark mode\n3. Reply to the design review by Friday'],
  ];
  if (!EMPTY) {
    const older = 64;
    for (let i = 0; i < older; i++) {
      const dir = i % 2 ? 'out' : 'in';
      chat.push(entry(dir, `${zh ? '较早的消息' : 'Earlier message'} #${i + 1}`, -86400 * 2 + i * 600, dir === 'in' ? 'done' : 'sent'));
    }
    SAMPLE.forEach(([dir, text], i) => chat.push(entry(dir, text, -1800 + i * 120, dir === 'in' ? 'done' : 'sent')));
  }
  function entry(direction, text, offsetSec, status) {
    return { id: nextChatId++, direction, text, at: iso(offsetSec), status, sender: direction === 'in' ? 'you' : 'molten' };
  }

  function reply(text) {
    const cmd = text.trim().split(/\s+/)[0];
    if (cmd === '/help') return zh
      ? '可用命令：\n/help — 显示帮助\n/status — 引擎状态\n/remind <时间> <内容> — 设置提醒\n/reminders — 列出提醒'
      : 'Commands:\n/help — this help\n/status — engine status\n/remind <when> <text> — set a reminder\n/reminders — list reminders';
    if (cmd === '/status') return `engine: ${health().overall}, queue: 0, channels: ${channels.length}`;
    if (cmd === '/reminders') {
      const p = reminders.filter((r) => r.status === 'pending').slice(0, 5);
      return p.map((r) => `#${r.id} ${r.text}`).join('\n') || (zh ? '没有待触发的提醒。' : 'No pending reminders.');
    }
    if (cmd === '/remind') {
      const m = text.trim().match(/^\/remind\s+(\d+)([smhd])\s+(.+)$/s);
      if (!m) return zh ? '用法：/remind 10m 内容' : 'Usage: /remind 10m something';
      const secs = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
      reminders.push(reminder(m[3], secs, 'pending', 'local', 'chat'));
      return zh ? `好的，将在 ${m[1]}${m[2]} 后提醒你：${m[3]}` : `OK, I will remind you: ${m[3]}`;
    }
    return (zh ? '你说：' : 'You said: ') + text;
  }

  // ---------- reminders ----------
  let nextReminderId = 1;
  const reminders = [];
  function reminder(text, dueOffset, status, channel, conversation) {
    return { id: nextReminderId++, text, due_at: iso(dueOffset), status, created_at: iso(Math.min(dueOffset, 0) - 3600), channel, conversation };
  }
  if (!EMPTY) {
    const texts = zh
      ? ['团队周会', '给妈妈打电话', '喝水', '提交报销单', '续费域名', '取快递', '预约牙医', '备份照片', '给植物浇水', '读完《三体》第二部', '交房租', '买牛奶']
      : ['Team sync', 'Call Mum', 'Drink water', 'Submit expense report', 'Renew the domain', 'Pick up the parcel', 'Book the dentist', 'Back up photos', 'Water the plants', 'Finish reading chapter 12', 'Pay the rent', 'Buy milk'];
    const statuses = ['pending', 'pending', 'fired', 'pending', 'cancelled', 'fired'];
    for (let i = 0; i < 26; i++) {
      const st = statuses[i % statuses.length];
      const offset = st === 'pending' ? 600 + i * 5400 : -3600 * (i + 1);
      reminders.push(reminder(texts[i % texts.length] + (i >= texts.length ? ` (${Math.floor(i / texts.length) + 1})` : ''),
        offset, st, i % 3 ? 'telegram' : 'local', i % 3 ? '@alex' : 'chat'));
    }
  }

  // ---------- health ----------
  let paused = q.get('paused') === '1';
  const channels = EMPTY ? [] : [
    { id: 'telegram-main', kind: 'telegram', state: 'connected', last_inbound_at: iso(-190), reconnects: 0, last_error: null, next_retry_at: null },
    { id: 'discord-home', kind: 'discord', state: 'backoff', last_inbound_at: iso(-7200), reconnects: 3, last_error: 'gateway closed: connection reset by peer', next_retry_at: iso(25) },
  ];
  function health() {
    const chs = channels.map((c) => (paused ? { ...c, state: 'paused', next_retry_at: null } : c));
    const bad = chs.some((c) => c.state === 'backoff' || c.state === 'failed');
    return { overall: bad ? 'degraded' : 'ok', paused, queue_depth: 0, channels: chs };
  }

  // ---------- prefs & app ----------
  let prefs = { theme: q.get('theme') || 'system', language: q.get('lang') || 'system' };
  const info = {
    version: '0.1.0',
    data_dir: '~/.local/share/molten',
    config_path: '~/.config/molten/config.toml',
    api_url: 'http://127.0.0.1:7878',
    startup_error: q.get('startup_error') === '1'
      ? err('storage', 'The database is locked by another Molten process.', 'Quit the other Molten window from its tray icon, then start Molten again.')
      : null,
  };

  // ---------- permissions, approvals, pairings ----------
  const CATALOGUE = ['message:send', 'status:read', 'reminder:manage', 'document:generate', 'approval:decide', 'model:switch',
    'file:read', 'file:write', 'file:delete', 'mail:send', 'system:reboot', 'mcp:*'];
  const FLOOR = ['system:reboot', 'file:delete', 'mail:send', 'mcp:*'];
  const PERMS_PATH = '~/.config/molten/permissions.yaml';
  const PERM_PROBLEM = q.get('perm_problem') === '1'
    ? `${PERMS_PATH}:14:3: user \`telegram:555\` has role \`boss\`, which is not defined under roles — the previous policy stays in force until this is fixed`
    : null;
  const policy = {
    roles: {
      admin: ['*'],
      family: ['message:send', 'reminder:manage', 'status:read', 'file:*', 'calendar:read'],
      user: ['message:send', 'document:generate', 'reminder:manage', 'status:read'],
      viewer: ['status:read'],
    },
    users: { 'local:owner': 'admin' },
    default_role: 'user',
    approval_required: ['model:switch', 'calendar:read'],
  };
  if (!EMPTY) {
    const people = ['telegram:20417', 'telegram:55102', 'telegram:731', 'discord:alex', 'discord:mei.lin', 'dingtalk.work:7',
      'feishu:ou_7d1f', 'wechat:wxid_9k2', 'slack:U024BE7LH', 'matrix:@sam:example.org', 'email:mum@example.com', 'qq:10086'];
    people.forEach((p, i) => { policy.users[p] = ['user', 'family', 'viewer', 'user'][i % 4]; });
    for (let i = 0; i < 14; i++) policy.users[`telegram:9${String(1000 + i * 37)}`] = i % 3 ? 'user' : 'viewer';
  }
  const PERM_RE = /^(\*|[A-Za-z0-9_.-]+:(\*|[A-Za-z0-9_.-]+))$/;
  const configErr = (message) => err('config', `${PERMS_PATH}:1:1: ${message}`, `Fix ${PERMS_PATH}; nothing was changed.`);
  function permView() {
    return { path: PERMS_PATH, problem: PERM_PROBLEM, roles: policy.roles, users: policy.users,
      default_role: policy.default_role, approval_required: policy.approval_required,
      approval_floor: FLOOR, catalogue: CATALOGUE };
  }
  // Sorted like the BTreeMaps the shell serialises.
  const sortKeys = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

  let nextCode = 314159;
  const code = () => String((nextCode = (nextCode * 7919 + 17) % 1000000)).padStart(6, '0');
  let nextApprovalId = 1;
  const approvals = [];
  const pairings = [];
  function approval(requester, channel, permission, command, status, createdOffset, ttl, decidedBy) {
    const a = { id: nextApprovalId++, code: code(), origin: 'chat', requester, conversation: { channel, conversation_id: requester.split(':')[1] },
      permission, command, lang: zh ? 'zh-CN' : 'en', status, created_at: iso(createdOffset), expires_at: iso(createdOffset + ttl),
      decided_by: decidedBy || null };
    approvals.unshift(a);
    return a;
  }
  function pairing(identity, status, createdOffset) {
    const [channel, id] = identity.split(':');
    const p = { code: code(), identity, conversation: { channel, conversation_id: id }, status, created_at: iso(createdOffset) };
    pairings.unshift(p);
    return p;
  }
  if (!EMPTY) {
    approval('telegram:20417', 'telegram', 'file:read', 'file:read ~/Documents/notes/2026-q3.md', 'approved', -7200, 300, 'local:owner');
    approval('discord:alex', 'discord', 'model:switch', '/model gpt-local-large', 'denied', -5400, 300, 'local:owner');
    approval('telegram:55102', 'telegram', 'mail:send', '/mail send boss@example.com "Quarterly numbers"', 'expired', -3600, 300, null);
    approval('local:owner', 'local', 'system:reboot', '/reboot --now', 'pending', -20, 50);
    approval('telegram:20417', 'telegram', 'file:delete', zh ? '/rm ~/下载/旧安装包.dmg' : '/rm ~/Downloads/old-installer.dmg', 'pending', -60, 300);
    approval('discord:mei.lin', 'discord', 'mcp:filesystem.write', 'mcp filesystem.write {"path":"~/Projects/site/index.html","bytes":18211}', 'pending', -30, 1800);
    pairing('telegram:88811', 'rejected', -86400);
    pairing('slack:U07QX2', 'pending', -420);
    pairing('wechat:wxid_new42', 'pending', -95);
  }
  function expireApprovals() {
    for (const a of approvals) if (a.status === 'pending' && Date.parse(a.expires_at) <= Date.now()) a.status = 'expired';
  }
  function answer(codeArg, approve) {
    expireApprovals();
    const a = approvals.find((x) => x.code === codeArg);
    const p = pairings.find((x) => x.code === codeArg);
    if (!a && !p) throw err('not_found', `No request has code ${codeArg}.`, 'It may have been answered already; refresh the list.');
    const text = `${approve ? '/approve' : '/deny'} ${codeArg}`;
    const inbound = entry('in', text, 0, 'received');
    chat.push(inbound);
    let outcome;
    const target = a || p;
    if (target.status !== 'pending') {
      outcome = zh ? `请求 ${codeArg} 已经${target.status}，未作更改。` : `Request ${codeArg} was already ${target.status}; nothing changed.`;
    } else if (a) {
      a.status = approve ? 'approved' : 'denied';
      a.decided_by = 'local:owner';
      outcome = zh ? `已${approve ? '批准' : '拒绝'}：${a.command}` : `${approve ? 'Approved' : 'Denied'}: ${a.command}`;
      audit('local:owner', 'local', 'approval:decide', a.code, a.command, approve ? 'ok' : 'ok', 3);
    } else {
      p.status = approve ? 'approved' : 'rejected';
      if (approve) { policy.users[p.identity] = policy.default_role; policy.users = sortKeys(policy.users); }
      outcome = zh ? `${p.identity} 已${approve ? '配对' : '被拒绝'}。` : `${p.identity} is ${approve ? 'now paired as ' + policy.default_role : 'rejected'}.`;
    }
    setTimeout(() => {
      inbound.status = 'done';
      const r = entry('out', outcome, 0, 'sent');
      chat.push(r);
      emit('chat:entry', inbound);
      emit('chat:entry', r);
    }, 300);
    emit('chat:entry', inbound);
    return inbound;
  }

  // ---------- audit ----------
  const auditLog = [];
  function fakeHash(str) {
    let h1 = 0x811c9dc5; let out = '';
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < str.length; i++) h1 = Math.imul(h1 ^ str.charCodeAt(i) ^ round, 16777619) >>> 0;
      out += h1.toString(16).padStart(8, '0');
    }
    return out;
  }
  function audit(actor, channel, operation, target, args, result, duration, at) {
    const prev = auditLog.length ? auditLog[auditLog.length - 1].hash : '0'.repeat(64);
    const rec = { seq: auditLog.length + 1, at: at || new Date().toISOString(), actor, channel, operation, target, args, result,
      duration_ms: duration, hash: '' };
    rec.hash = fakeHash(prev + JSON.stringify(rec));
    auditLog.push(rec);
    return rec;
  }
  if (!EMPTY) {
    const ops = [
      ['local:owner', 'local', 'message:send', 'chat', '"Good morning! What is on my plate today?"', 'ok', 412],
      ['telegram:20417', 'telegram', 'reminder:manage', 'reminder #14', '{"in":"30m","text":"drink water"}', 'ok', 18],
      ['telegram:20417', 'telegram', 'file:read', '~/Documents/notes/2026-q3.md', '{"bytes":18211}', 'allowed', null],
      ['discord:alex', 'discord', 'model:switch', 'gpt-local-large', '{"from":"small"}', 'needs_approval', null],
      ['telegram:88811', 'telegram', 'message:send', 'chat', '"hi who is this"', 'denied', null],
      ['local:owner', 'local', 'status:read', 'engine', '{}', 'ok', 2],
      ['telegram:55102', 'telegram', 'mail:send', 'boss@example.com', '{"subject":"Quarterly numbers","attachments":1}', 'needs_approval', null],
      ['discord:mei.lin', 'discord', 'document:generate', 'weekly-report.docx', '{"template":"weekly","pages":3}', 'error', 2310],
      ['dingtalk.work:7', 'dingtalk', 'status:read', 'engine', '{}', 'ok', 3],
      ['local:owner', 'local', 'file:delete', '~/Downloads/old-installer.dmg', '{"size":"212 MB"}', 'needs_approval', null],
      ['feishu:ou_7d1f', 'feishu', 'reminder:manage', 'reminder #22', '{"cancel":true}', 'ok', 11],
      ['telegram:20417', 'telegram', 'system:reboot', 'host', '{"when":"now"}', 'denied', null],
    ];
    const n = 236;
    for (let i = 0; i < n; i++) {
      const o = ops[(i * 7) % ops.length];
      audit(o[0], o[1], o[2], o[3], o[4], o[5], o[6] === null ? null : o[6] + (i % 5) * 13, iso(-(n - i) * 1700));
    }
  }
  function auditMatch(a) {
    const needle = (a.query || '').toLowerCase();
    return (r) => (!a.actor || r.actor === a.actor)
      && (!a.channel || r.channel === a.channel)
      && (!a.operation || r.operation === a.operation)
      && (!a.result || r.result === a.result)
      && (!a.from || r.at >= new Date(a.from).toISOString())
      && (!a.to || r.at <= new Date(a.to).toISOString())
      && (!needle || [r.actor, r.operation, r.target, r.args].some((f) => String(f).toLowerCase().includes(needle)));
  }
  const AUDIT_RESULTS = ['allowed', 'denied', 'needs_approval', 'ok', 'error'];
  function checkAuditArgs(cmd, a) {
    for (const k of ['from', 'to']) {
      if (a[k] != null && Number.isNaN(Date.parse(a[k]))) throw err('invalid', `\`${k}\` is not an RFC 3339 time: ${a[k]}`, 'Pick the date again.');
    }
    if (a.result != null && !AUDIT_RESULTS.includes(a.result)) throw err('invalid', `Unknown result ${a.result}.`, 'Pick one of the listed results.');
    for (const k of Object.keys(a)) {
      if (!['actor', 'channel', 'operation', 'result', 'query', 'from', 'to', 'beforeSeq', 'limit', 'format'].includes(k)) {
        throw `invalid args \`${k}\` for command \`${cmd}\``;
      }
    }
  }

  // ---------- commands ----------
  function need(cmd, args, names) {
    for (const n of names) {
      if (!args || !(n in args)) throw `invalid args \`${n}\` for command \`${cmd}\`: command ${cmd} missing required key ${n}`;
    }
  }

  const commands = {
    app_info: () => info,
    engine_health: () => health(),
    chat_history(a) {
      need('chat_history', a, ['before', 'limit']);
      const older = a.before == null ? chat : chat.filter((e) => e.id < a.before);
      const entries = older.slice(Math.max(0, older.length - a.limit));
      return { entries, has_more: older.length > entries.length };
    },
    chat_send(a) {
      need('chat_send', a, ['text']);
      const text = a.text;
      if (!text.trim()) throw err('empty', 'The message is empty.', 'Type something before sending.');
      if ([...text].length > 16000) throw err('too_long', 'The message is longer than 16000 characters.', 'Shorten it or split it into several messages.');
      const e = entry('in', text, 0, 'received');
      chat.push(e);
      emit('chat:entry', e);
      setTimeout(() => {
        const r = entry('out', reply(text), 0, 'sent');
        chat.push(r);
        e.status = 'done';
        emit('chat:entry', e);
        emit('chat:entry', r);
      }, 600);
      return e;
    },
    channels_set_paused(a) {
      need('channels_set_paused', a, ['paused']);
      paused = !!a.paused;
      setTimeout(() => emit('engine:health', health()), 0);
      return health();
    },
    reminders_list(a) {
      need('reminders_list', a, ['query', 'status', 'page', 'pageSize']);
      const needle = a.query.trim().toLowerCase();
      const all = reminders
        .filter((r) => a.status === 'all' || r.status === a.status)
        .filter((r) => !needle || r.text.toLowerCase().includes(needle))
        // Upcoming pending ones first, then the rest newest first.
        .sort((x, y) => (x.status === 'pending') !== (y.status === 'pending')
          ? (x.status === 'pending' ? -1 : 1)
          : x.status === 'pending' ? x.due_at.localeCompare(y.due_at) : y.due_at.localeCompare(x.due_at));
      return { items: all.slice(a.page * a.pageSize, (a.page + 1) * a.pageSize), total: all.length };
    },
    reminder_cancel(a) {
      need('reminder_cancel', a, ['id']);
      const r = reminders.find((x) => x.id === a.id);
      if (!r) throw err('not_found', `Reminder #${a.id} does not exist.`, 'Refresh the list.');
      if (r.status !== 'pending') throw err('invalid', `Reminder #${a.id} is already ${r.status}.`, 'Only pending reminders can be cancelled.');
      r.status = 'cancelled';
      return r;
    },
    permissions_get: () => permView(),
    permissions_set_role(a) {
      need('permissions_set_role', a, ['role', 'permissions']);
      if (PERM_PROBLEM) throw err('config', PERM_PROBLEM, `Fix ${PERMS_PATH} first; edits apply to a valid file only.`);
      if (!/^[A-Za-z0-9_-]+$/.test(a.role)) throw configErr(`\`${a.role}\` is not a role name; use letters, digits, - and _`);
      const bad = a.permissions.find((p) => !PERM_RE.test(p));
      if (bad !== undefined) throw configErr(`role \`${a.role}\`: \`${bad}\` is not a permission; write \`area:action\`, \`area:*\` or \`*\``);
      policy.roles[a.role] = [...a.permissions];
      policy.roles = sortKeys(policy.roles);
      return permView();
    },
    permissions_set_user(a) {
      need('permissions_set_user', a, ['identity', 'role']);
      if (PERM_PROBLEM) throw err('config', PERM_PROBLEM, `Fix ${PERMS_PATH} first; edits apply to a valid file only.`);
      if (!a.identity.includes(':')) throw configErr(`\`${a.identity}\` is not an identity; write \`channel:user-id\``);
      if (a.role === null) delete policy.users[a.identity];
      else if (!(a.role in policy.roles)) throw configErr(`user \`${a.identity}\` has role \`${a.role}\`, which is not defined under roles`);
      else policy.users[a.identity] = a.role;
      policy.users = sortKeys(policy.users);
      return permView();
    },
    approvals_list(a) {
      need('approvals_list', a, ['status']);
      expireApprovals();
      return approvals.filter((x) => a.status === 'all' || x.status === a.status).slice(0, 200);
    },
    pairings_list(a) {
      need('pairings_list', a, ['status']);
      return pairings.filter((x) => a.status === 'all' || x.status === a.status);
    },
    request_answer(a) {
      need('request_answer', a, ['code', 'approve']);
      return answer(a.code, !!a.approve);
    },
    audit_list(a) {
      need('audit_list', a, ['limit']);
      checkAuditArgs('audit_list', a);
      const before = a.beforeSeq == null ? Infinity : a.beforeSeq;
      const all = auditLog.filter(auditMatch(a)).filter((r) => r.seq < before).reverse();
      const items = all.slice(0, a.limit);
      return { items, next_before: all.length > items.length ? items[items.length - 1].seq : null };
    },
    audit_verify() {
      if (q.get('audit_broken') === '1' && auditLog.length > 118) {
        return { ok: false, checked: 117, problem: 'entry #118: its hash does not match its contents (it was changed after it was written)' };
      }
      return { ok: true, checked: auditLog.length, problem: null };
    },
    audit_export(a) {
      need('audit_export', a, ['format']);
      checkAuditArgs('audit_export', a);
      if (!['csv', 'json'].includes(a.format)) throw err('invalid', `Unknown format ${a.format}.`, 'Use csv or json.');
      const count = auditLog.filter(auditMatch(a)).length;
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
      return { path: `${info.data_dir}/exports/audit-${stamp}.${a.format}`, count };
    },
    prefs_get: () => prefs,
    prefs_set(a) {
      need('prefs_set', a, ['prefs']);
      const p = a.prefs || {};
      if (!['system', 'light', 'dark'].includes(p.theme) || !['system', 'zh-CN', 'en'].includes(p.language)) {
        throw err('invalid', 'Unknown theme or language.', 'Pick one of the listed options.');
      }
      prefs = { theme: p.theme, language: p.language };
      return prefs;
    },
  };

  function invoke(cmd, args) {
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          if (FAIL === cmd) throw err('engine_unavailable', 'The engine is not running.', 'Restart Molten from the tray menu.');
          const fn = commands[cmd];
          if (!fn) throw `command ${cmd} not found`;
          resolve(clone(fn(args)));
        } catch (e) {
          reject(e);
        }
      }, LATENCY + (cmd === 'audit_list' && JITTER ? Math.random() * JITTER : 0));
    });
  }

  function listen(event, cb) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(cb);
    return Promise.resolve(() => listeners.get(event).delete(cb));
  }

  window.__TAURI__ = { core: { invoke }, event: { listen } };
  // Hooks for manual poking from the devtools console.
  window.__MOLTEN_MOCK__ = {
    emit, chat, reminders, channels, health, policy, approvals, pairings, auditLog,
    setPaused: (p) => { paused = p; emit('engine:health', health()); },
    // A new approval request arrives, as the owner's chat would announce it.
    requestApproval(requester = 'telegram:20417', permission = 'file:write', command = 'file:write ~/notes/todo.md', ttl = 300) {
      const a = approval(requester, requester.split(':')[0], permission, command, 'pending', 0, ttl);
      const note = entry('out', `${requester} asks to run ${command} — /approve ${a.code} or /deny ${a.code}`, 0, 'sent');
      chat.push(note);
      emit('chat:entry', note);
      return a.code;
    },
  };
})();
