/*
 * dates.js — dates and times, always shown in Brussels time.
 */
import { el } from './dom.js';
import { locale } from './i18n.js';

const TZ = 'Europe/Brussels';

export function dtf(opts) {
  return new Intl.DateTimeFormat(locale(), Object.assign({ timeZone: TZ }, opts));
}

export function parseTime(s) {
  const d = typeof s === 'string' ? new Date(s) : null;
  return d && !isNaN(d.getTime()) ? d : null;
}

export function dayKey(d) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(d)) parts[p.type] = p.value;
  return parts.year + '-' + parts.month + '-' + parts.day;
}

export function capitalise(s) {
  return s ? s.charAt(0).toLocaleUpperCase(locale()) + s.slice(1) : s;
}

export function whenText(startS, endS) {
  const start = parseTime(startS);
  if (!start) return startS || '';
  const end = parseTime(endS);
  const day = dtf({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const time = dtf({ hour: '2-digit', minute: '2-digit' });
  let s = capitalise(day.format(start)) + ', ' + time.format(start);
  if (end && end > start) {
    s += dayKey(end) === dayKey(start) ? ' – ' + time.format(end)
      : ' – ' + day.format(end) + ', ' + time.format(end);
  }
  return s;
}

export function dateText(s) {
  const d = parseTime(s);
  return d ? dtf({ day: 'numeric', month: 'long', year: 'numeric' }).format(d) : (s || '');
}

export function timeEl(s, text) {
  return el('time', { datetime: parseTime(s) ? s : null }, text);
}
