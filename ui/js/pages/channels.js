// Channels page: one card per channel from engine health, and pause/resume all.
import { api } from '../api.js';
import { h, icon, errorBanner } from '../dom.js';
import { t, onLanguageChange } from '../i18n.js';
import { relativeTime, fullDateTime } from '../format.js';
import { getHealth, onHealth, setHealth, appInfo } from '../store.js';

const TONE = { connected: 'ok', connecting: 'busy', backoff: 'warn', failed: 'danger', paused: 'neutral', stopped: 'neutral' };

export function createChannelsPage() {
  let toggling = false;
  let toggleError = null;
  let configPath = '';
  let timer = 0;

  const toggle = h('button', { type: 'button', class: 'btn', id: 'channels-toggle', onclick: onToggle });
  const summary = h('div', { class: 'channels-summary', 'aria-live': 'polite' });
  const errorSlot = h('div', { class: 'inline-error' });
  const grid = h('div', { class: 'channel-grid' });

  const el = h('section', { class: 'page', id: 'page-channels', 'aria-labelledby': 'channels-title' },
    h('div', { class: 'page-scroll' }, h('div', { class: 'page-inner' },
      h('div', { class: 'page-head' },
        h('div', null,
          h('h1', { id: 'channels-title', 'data-i18n': 'channels.title' }),
          h('p', { 'data-i18n': 'channels.subtitle' })),
        toggle),
      errorSlot, summary, grid)));

  async function onToggle() {
    const { health } = getHealth();
    if (!health || toggling) return;
    toggling = true;
    toggleError = null;
    render();
    try {
      setHealth(await api.setChannelsPaused(!health.paused));
    } catch (err) {
      toggleError = err;
    }
    toggling = false;
    render();
  }

  function hintFor(ch) {
    if (ch.state === 'backoff' && ch.next_retry_at) return t('channels.hint.retryAt', { when: relativeTime(ch.next_retry_at) });
    if (ch.state === 'backoff' || ch.state === 'connecting') return t('channels.hint.retrying');
    if (ch.state === 'failed') return configPath ? t('channels.hint.failedPath', { path: configPath }) : t('channels.hint.failed');
    return t('channels.hint.other');
  }

  function stat(label, value, title) {
    return [h('dt', null, label), h('dd', title ? { title } : null, value)];
  }

  function card(ch) {
    const kind = ch.kind || ch.id;
    const name = t(`channels.kind.${kind}`, null, kind);
    return h('article', { class: 'card channel-card', dataset: { id: ch.id, state: ch.state }, 'aria-label': `${name} ${ch.id}` },
      h('div', { class: 'card-body' },
        h('div', { class: 'channel-head' },
          h('div', { class: 'channel-avatar', 'aria-hidden': 'true' }, kind.slice(0, 1)),
          h('div', null, h('div', { class: 'channel-name' }, name), h('div', { class: 'channel-id' }, ch.id)),
          h('span', { class: 'badge', dataset: { tone: TONE[ch.state] || 'neutral' } }, t(`channels.state.${ch.state}`))),
        h('dl', { class: 'channel-stats' },
          stat(t('channels.lastInbound'),
            ch.last_inbound_at ? relativeTime(ch.last_inbound_at) : t('channels.never'),
            ch.last_inbound_at ? fullDateTime(ch.last_inbound_at) : null),
          stat(t('channels.reconnects'), String(ch.reconnects ?? 0)),
          ch.next_retry_at ? stat(t('channels.nextRetry'), relativeTime(ch.next_retry_at), fullDateTime(ch.next_retry_at)) : null),
        ch.last_error ? h('div', { class: 'channel-error', role: 'note' },
          h('div', { class: 'channel-error-msg' }, ch.last_error),
          h('div', { class: 'channel-error-hint' }, hintFor(ch))) : null));
  }

  function render() {
    const { health, error } = getHealth();
    const paused = !!(health && health.paused);
    toggle.replaceChildren(icon(paused ? 'play' : 'pause'), t(paused ? 'channels.resumeAll' : 'channels.pauseAll'));
    toggle.className = paused ? 'btn btn-primary' : 'btn';
    toggle.setAttribute('aria-pressed', String(paused));
    toggle.disabled = !health || toggling;

    const err = toggleError || error;
    errorSlot.replaceChildren(err ? errorBanner(err) : '');

    if (!health) {
      summary.replaceChildren();
      grid.replaceChildren(error ? '' : h('div', { class: 'empty' }, h('div', { class: 'spinner', role: 'status', 'aria-label': t('common.loading') })));
      return;
    }
    summary.replaceChildren(
      h('span', null, t('channels.overall'), h('strong', null, t(`health.${health.overall}`))),
      h('span', null, t('channels.queue'), h('strong', null, String(health.queue_depth ?? 0))),
      paused ? h('span', null, h('strong', null, t('channels.pausedNote'))) : '');
    const channels = health.channels || [];
    grid.replaceChildren(...(channels.length ? channels.map(card) : [h('div', { class: 'empty', style: 'grid-column: 1 / -1' },
      icon('channels'),
      h('div', { class: 'empty-title' }, t('channels.emptyTitle')),
      h('div', null, configPath ? t('channels.emptyBodyPath', { path: configPath }) : t('channels.emptyBody')))]));
  }

  onHealth(render);
  onLanguageChange(render);
  appInfo().then((info) => { configPath = info.config_path || ''; render(); }).catch(() => {});
  render();

  return {
    el,
    show() {
      render();
      clearInterval(timer);
      timer = setInterval(render, 15000); // keep relative times fresh
    },
    hide() { clearInterval(timer); },
  };
}
