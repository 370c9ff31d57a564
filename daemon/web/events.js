/*
 * events.js — the upcoming events (#/events), and an event as every view
 * shows it.  Its "add to my calendar" link asks the node for that one
 * event's iCalendar (GET /events.ics?author=&id=, proto/API.md), written
 * by the same code as the whole calendar.
 *
 * GET /api/v1/events lists occurrences: a recurring event comes once for
 * each of its occurrences in the window, with that occurrence's start and
 * end and its recurrence_id; uid and recurrence_id together name one
 * (data-occurrence on the item).  The .ics link of an occurrence gives
 * that occurrence only, written here (a VEVENT of its own, with a UID of
 * its own); a second link asks the node for the whole series, rule and
 * all.  A series is shown once, at its next date, with how often it comes
 * back and its other dates folded (a weekly event was 48 cards).
 */
import { api, query } from './api.js';
import { partnerLine, partnersOrNothing, terms } from './data.js';
import { capitalise, dayKey, dtf, parseTime, timeEl, whenText } from './dates.js';
import { $, append, badge, clear, el, extLink, paragraphs, recText, safeUrl } from './dom.js';
import { lang, t, txt } from './i18n.js';
import { route } from './router.js';
import { busy, sayError } from './status.js';

/* Venue, street and town (online is shown as a badge). */
function locationText(ev) {
  const loc = ev.location;
  if (!loc || typeof loc !== 'object') return '';
  const a = loc.address && typeof loc.address === 'object' ? loc.address : {};
  const town = [a.postal_code, a.locality].filter(Boolean).join(' ');
  return [loc.name, a.street, town].filter((x) => typeof x === 'string' && x).join(', ');
}

/* The link to the node's .ics of this one event (a series: all of it). */
function icsLink(ev, key, test) {
  if (typeof ev.author !== 'string' || typeof ev.id !== 'string') return null;
  const name = ev.id.replace(/[^A-Za-z0-9._-]/g, '_') + '.ics';
  return el('a', {
    href: 'events.ics' + query({ author: ev.author, id: ev.id, lang }), download: name,
    class: 'ics', 'data-test': test, type: 'text/calendar',
    'aria-label': t(key) + ': ' + txt(ev.name),
  }, t(key));
}

/* RFC 5545 text: \\ ; , escaped, lines as \n. */
function icsText(s) {
  return String(s).replace(/\r\n?/g, '\n').replace(/[\\;,]/g, (c) => '\\' + c).replace(/\n/g, '\\n');
}

/* A content line folded at 75 octets (RFC 5545 3.1), never inside a character. */
function icsLine(line) {
  const enc = new TextEncoder();
  const out = [];
  let cur = '';
  let octets = 0;
  for (const ch of line) {
    const n = enc.encode(ch).length;
    if (octets + n > (out.length ? 74 : 75)) {
      out.push(cur);
      cur = '';
      octets = 0;
    }
    cur += ch;
    octets += n;
  }
  out.push(cur);
  return out.join('\r\n ');
}

function icsTime(s) {
  const d = parseTime(s);
  return d ? d.toISOString().replace(/[-:]/g, '').replace(/\.[0-9]+Z$/, 'Z') : null;
}

/* One occurrence of a series as a calendar of its own: its start and end,
 * no rule.  Its UID is the series' with the occurrence before it, so that
 * each date added is one event, added once. */
export function occurrenceIcs(ev, where) {
  const start = icsTime(ev.start);
  if (!start || typeof ev.uid !== 'string' || typeof ev.recurrence_id !== 'string') return null;
  const end = icsTime(ev.end);
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//gilde//page//EN', 'METHOD:PUBLISH', 'BEGIN:VEVENT',
    'UID:' + ev.recurrence_id + '-' + ev.uid, 'DTSTAMP:' + icsTime(new Date().toISOString()), 'DTSTART:' + start];
  if (end) lines.push('DTEND:' + end);
  lines.push('SUMMARY:' + icsText(txt(ev.name)));
  if (txt(ev.description)) lines.push('DESCRIPTION:' + icsText(txt(ev.description)));
  if (where) lines.push('LOCATION:' + icsText(where));
  if (safeUrl(ev.url)) lines.push('URL:' + ev.url);
  if (ev.status === 'cancelled') lines.push('STATUS:CANCELLED');
  lines.push('END:VEVENT', 'END:VCALENDAR');
  return lines.map(icsLine).join('\r\n') + '\r\n';
}

/* The link that adds this occurrence only. */
function occurrenceLink(ev, where) {
  const text = occurrenceIcs(ev, where);
  if (!text) return null;
  const name = (ev.id + '-' + ev.recurrence_id).replace(/[^A-Za-z0-9._-]/g, '_') + '.ics';
  return el('a', {
    href: 'data:text/calendar;charset=utf-8,' + encodeURIComponent(text), download: name,
    class: 'ics', 'data-test': 'event-ics', type: 'text/calendar',
    'aria-label': t('event.icsOne') + ': ' + txt(ev.name) + ', ' + whenText(ev.start, ev.end),
  }, t('event.icsOne'));
}

/* How often a series comes back, from its rule (RFC 5545 RRULE):
 * "Every week on Monday", "Every 2 weeks"; null for a rule it cannot say. */
const FREQ = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];
const DAYS = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 };
export function howOften(ev) {
  const rule = ev.recurrence && typeof ev.recurrence.rrule === 'string' ? ev.recurrence.rrule : '';
  const parts = {};
  for (const kv of rule.split(';')) {
    const [k, v] = kv.split('=');
    if (k && v) parts[k.toUpperCase()] = v.toUpperCase();
  }
  if (!FREQ.includes(parts.FREQ)) return null;
  const n = /^[0-9]+$/.test(parts.INTERVAL || '') ? Number(parts.INTERVAL) : 1;
  const every = n > 1 ? t('event.freqN.' + parts.FREQ, n) : t('event.freq.' + parts.FREQ);
  const days = (parts.BYDAY || '').split(',').filter((d) => d in DAYS);
  if (parts.FREQ !== 'WEEKLY' || !days.length) return every;
  /* 2024-01-01 was a Monday */
  const fmt = dtf({ weekday: 'long', timeZone: 'UTC' });
  const names = days.map((d) => fmt.format(new Date(Date.UTC(2024, 0, 1 + DAYS[d]))));
  return t('event.onDays', every, names.join(', '));
}

/* The other dates of a series, unfolded on request: each with the link
 * that adds that date alone to a calendar (made when opened: a weekly
 * event has dozens). */
function moreDates(ev, rest, where) {
  const list = el('ul', { class: 'more-dates', 'data-test': 'more-dates' });
  const box = el('details', { class: 'series-dates', 'data-test': 'series-dates' },
    el('summary', null, t(rest.length === 1 ? 'event.moreDates1' : 'event.moreDates', rest.length),
      el('span', { class: 'vh' }, ': ' + txt(ev.name))), list);
  box.addEventListener('toggle', () => {
    if (!box.open || list.firstChild) return;
    for (const o of rest) {
      list.appendChild(el('li', { 'data-test': 'more-date', 'data-occurrence': o.recurrence_id },
        timeEl(o.start, whenText(o.start, o.end)), ' ', occurrenceLink(o, where)));
    }
  });
  return box;
}

/* Occurrences of one series after the first are folded into it:
 * [{ ev, rest }] in the order of each one's first date. */
export function bySeries(events) {
  const out = [];
  const series = new Map();
  for (const ev of events) {
    const key = typeof ev.recurrence_id === 'string' ? ev.author + '/' + ev.id : null;
    if (key && series.has(key)) {
      series.get(key).rest.push(ev);
      continue;
    }
    const one = { ev, rest: [] };
    if (key) series.set(key, one);
    out.push(one);
  }
  return out;
}

export function eventItem(ev, partners, showPartner, rest) {
  const cancelled = ev.status === 'cancelled';
  const where = locationText(ev);
  const occurrence = typeof ev.recurrence_id === 'string' ? ev.recurrence_id : null;
  const links = el('ul', { class: 'links' },
    safeUrl(ev.url) ? el('li', null, extLink(ev.url, t('event.more'), { 'data-test': 'event-url' }, txt(ev.name))) : null,
    safeUrl(ev.registration_url) && !cancelled
      ? el('li', null, extLink(ev.registration_url, t('event.register'), null, txt(ev.name))) : null,
    occurrence ? el('li', null, occurrenceLink(ev, where)) : null,
    el('li', null, occurrence ? icsLink(ev, 'event.icsSeries', 'event-ics-series') : icsLink(ev, 'event.ics', 'event-ics')));
  const body = txt(ev.description)
    ? el('details', null, el('summary', null, t('event.about')), paragraphs(ev.description)) : null;
  return el('li', { class: 'event' + (cancelled ? ' cancelled' : '') + (occurrence ? ' recurring' : ''),
    'data-test': 'event', 'data-event': ev.id, 'data-occurrence': occurrence },
    el('article', null,
      recText('h3', null, ev.name),
      el('p', { class: 'when' }, timeEl(ev.start, whenText(ev.start, ev.end))),
      occurrence ? el('p', { class: 'often', 'data-test': 'event-often' }, howOften(ev) || t('event.repeats')) : null,
      where ? el('p', { class: 'where' }, t('event.where') + ' ' + where) : null,
      showPartner ? partnerLine(ev, partners, t('event.by')) : null,
      el('p', { class: 'meta' },
        cancelled ? badge(t('event.cancelled'), 'cancelled') : null,
        ev.cost && ev.cost.free === true ? badge(t('offer.free'), 'free') : null,
        ev.location && ev.location.online === true ? badge(t('event.online'), 'online') : null),
      body, links, rest && rest.length ? moreDates(ev, rest, where) : null));
}

/* Events grouped by month (in Brussels), under a heading of the given
 * level; a series once, at its next date, its other dates folded. */
function eventsByMonth(events, partners, level, showPartner) {
  const out = [];
  let key = null;
  let list = null;
  const monthFmt = dtf({ month: 'long', year: 'numeric' });
  for (const { ev, rest } of bySeries(events)) {
    const d = parseTime(ev.start);
    const k = d ? dayKey(d).slice(0, 7) : '';
    if (k !== key || !list) {
      key = k;
      list = el('ol', { class: 'events' });
      out.push(el('section', { class: 'month' },
        el('h' + level, null, d ? capitalise(monthFmt.format(d)) : '?'), list));
    }
    list.appendChild(eventItem(ev, partners, showPartner, rest));
  }
  return out;
}

function eventFilters(params) {
  const f = {};
  const sector = params.get('sector');
  const phase = params.get('phase');
  if (sector && terms('sector').some((x) => x.id === sector)) f.sector = sector;
  if (phase && terms('phase').some((x) => x.id === phase)) f.phase = phase;
  return f;
}

export async function showEvents(seq, params) {
  const f = eventFilters(params);
  $('event-sector').value = f.sector || '';
  $('event-phase').value = f.phase || '';
  $('ics-all').setAttribute('href', 'events.ics' + query(Object.assign({ lang }, f)));
  const box = $('event-list');
  busy(true);
  try {
    const [ans, partners] = await Promise.all([
      api('api/v1/events' + query(f)), partnersOrNothing()]);
    if (seq !== route.seq) return;
    busy(false);
    clear(box);
    const events = ans.events || [];
    if (!events.length) box.appendChild(el('p', { class: 'empty' }, t('events.none')));
    else append(box, eventsByMonth(events, partners, 2, true));
  } catch (e) {
    if (seq !== route.seq) return;
    clear(box);
    sayError(e);
  }
}
