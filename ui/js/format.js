// Locale-aware date and time formatting.
import { locale, t } from './i18n.js';

function parse(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function fmt(d, opts) {
  try {
    return new Intl.DateTimeFormat(locale(), opts).format(d);
  } catch {
    return new Intl.DateTimeFormat('en', opts).format(d);
  }
}

export function isSameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// "14:05" today, "Mar 3, 14:05" otherwise.
export function formatTime(iso) {
  const d = parse(iso);
  if (!d) return iso || '';
  const opts = isSameDay(d, new Date())
    ? { hour: 'numeric', minute: '2-digit' }
    : { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  return fmt(d, opts);
}

// "Nov 22, 10:21 AM"; the year only when it is not this year.
export function formatDateTime(iso) {
  const d = parse(iso);
  if (!d) return iso || '';
  const opts = { month: 'short', day: 'numeric', weekday: 'short', hour: 'numeric', minute: '2-digit' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return fmt(d, opts);
}

export function fullDateTime(iso) {
  const d = parse(iso);
  if (!d) return iso || '';
  return fmt(d, { dateStyle: 'full', timeStyle: 'medium' });
}

// A day label for separators: "Today", "Yesterday" or a date.
export function formatDay(iso) {
  const d = parse(iso);
  if (!d) return '';
  const now = new Date();
  if (isSameDay(d, now)) return t('time.today');
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (isSameDay(d, y)) return t('time.yesterday');
  return fmt(d, { dateStyle: 'medium' });
}

const UNITS = [
  ['year', 365 * 24 * 3600], ['month', 30 * 24 * 3600], ['week', 7 * 24 * 3600],
  ['day', 24 * 3600], ['hour', 3600], ['minute', 60], ['second', 1],
];

// "3 minutes ago", "in 20 seconds".
export function relativeTime(iso, now = Date.now()) {
  const d = parse(iso);
  if (!d) return '';
  const diff = (d.getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 10) return t('time.justNow');
  let rtf;
  try {
    rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  } catch {
    rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  }
  for (const [unit, secs] of UNITS) {
    if (abs >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return '';
}
