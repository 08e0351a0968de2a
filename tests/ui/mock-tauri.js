// Dev-only stand-in for the Tauri shell: implements docs/ui-commands.md in memory
// so ui/ can be previewed in a plain browser. Loaded before the app by serve.py.
//
// URL query knobs: ?theme=light|dark|system  ?lang=en|zh-CN|system
//   ?startup_error=1  ?latency=MS  ?empty=1 (no history, reminders or channels)
//   ?fail=CMD (that command rejects with engine_unavailable)  ?paused=1
(function () {
  'use strict';
  const q = new URLSearchParams(location.search);
  const LATENCY = Number(q.get('latency') || 120);
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
      }, LATENCY);
    });
  }

  function listen(event, cb) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(cb);
    return Promise.resolve(() => listeners.get(event).delete(cb));
  }

  window.__TAURI__ = { core: { invoke }, event: { listen } };
  // Hooks for manual poking from the devtools console.
  window.__MOLTEN_MOCK__ = { emit, chat, reminders, channels, health, setPaused: (p) => { paused = p; emit('engine:health', health()); } };
})();
