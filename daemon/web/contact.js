/*
 * contact.js — how to reach a partner (common.json's "contact": e-mail,
 * phone, contact and booking pages, a visiting address with opening hours,
 * the languages spoken), for an offer in the to-do list and on a partner's
 * page.  Everything in it comes from a partner's record: text only, and
 * links only of addresses that are what they claim (dom.js).
 */
import { el, extLink, mailLink, phoneLink, recText, safeUrl } from './dom.js';
import { langNames, locale, t, txt } from './i18n.js';
import { dateText } from './dates.js';

const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* "Mon" … in the page's language (1 January 2024 was a Monday). */
function dayName(code) {
  const i = DAYS.indexOf(code);
  if (i < 0) return null;
  return new Intl.DateTimeFormat(locale(), { weekday: 'short', timeZone: 'UTC' })
    .format(new Date(Date.UTC(2024, 0, 1 + i)));
}

/* MO,TU,WE,TH,FR -> "Mon–Fri"; MO,WE -> "Mon, Wed": runs of three or more
 * days joined by a dash. */
export function dayRanges(byday) {
  const idx = [...new Set((Array.isArray(byday) ? byday : []).map((d) => DAYS.indexOf(d)).filter((i) => i >= 0))]
    .sort((a, b) => a - b);
  const parts = [];
  for (let k = 0; k < idx.length;) {
    let e = k;
    while (e + 1 < idx.length && idx[e + 1] === idx[e] + 1) e++;
    if (e - k >= 2) parts.push(dayName(DAYS[idx[k]]) + '–' + dayName(DAYS[idx[e]]));
    else for (let j = k; j <= e; j++) parts.push(dayName(DAYS[idx[j]]));
    k = e + 1;
  }
  return parts.join(', ');
}

const TIME_RE = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/* One opening-hours line: days, hours, the period it holds, its note. */
function scheduleText(s) {
  if (!isObject(s) || !TIME_RE.test(s.opens_at) || !TIME_RE.test(s.closes_at)) return null;
  const days = dayRanges(s.byday);
  if (!days) return null;
  let text = days + ' ' + s.opens_at + '–' + s.closes_at;
  if (s.valid_from && s.valid_to) text += ' (' + t('contact.between', dateText(s.valid_from), dateText(s.valid_to)) + ')';
  else if (s.valid_from) text += ' (' + t('contact.from', dateText(s.valid_from)) + ')';
  else if (s.valid_to) text += ' (' + t('contact.until', dateText(s.valid_to)) + ')';
  const note = isObject(s.notes) ? txt(s.notes) : '';
  return note ? text + ' — ' + note : text;
}

/* The country, named, for an address outside Belgium. */
function countryName(code) {
  if (typeof code !== 'string' || !/^[A-Z]{2}$/.test(code) || code === 'BE') return null;
  try {
    return new Intl.DisplayNames([locale()], { type: 'region' }).of(code) || code;
  } catch (e) {
    return code;
  }
}

function addressText(a) {
  if (!isObject(a)) return null;
  const place = [a.postal_code, a.locality].filter((x) => typeof x === 'string' && x).join(' ');
  return [a.street, place, countryName(a.country)].filter((x) => typeof x === 'string' && x).join(', ') || null;
}

/* The visiting address and its hours, or null. */
function locationBlock(loc) {
  if (!isObject(loc)) return null;
  const addr = addressText(loc.address);
  const hours = (Array.isArray(loc.schedules) ? loc.schedules : []).map(scheduleText).filter(Boolean);
  if (!addr && !hours.length) return null;
  return el('div', { class: 'visit', 'data-test': 'contact-visit' },
    el('p', null, el('span', { class: 'what' }, t('contact.visit') + ' '),
      isObject(loc.name) ? recText('span', null, loc.name) : null,
      isObject(loc.name) && addr ? ', ' : null,
      addr),
    hours.length ? el('ul', { class: 'hours', 'aria-label': t('contact.hours') }, hours.map((h) => el('li', null, h)))
      : el('p', { class: 'hint' }, t('contact.noHours')));
}

/*
 * The block that says how to reach a partner: contact (an object, or null)
 * as the match gives it, from ("offer", "partner" or "none": whose contact
 * it is), fallback (a web page for when there is no contact), about (what
 * the links are about, for screen readers).
 */
export function contactBlock(contact, from, fallback, about) {
  const c = isObject(contact) ? contact : {};
  const who = [isObject(c.name) ? txt(c.name) : '', isObject(c.title) ? txt(c.title) : ''].filter(Boolean).join(' — ');
  const page = safeUrl(c.url) || (!Object.keys(c).length ? safeUrl(fallback) : null);
  const list = el('ul', { class: 'contact' },
    safeUrl(c.booking_url) ? el('li', { 'data-test': 'contact-booking' },
      extLink(c.booking_url, t('contact.booking'), null, about)) : null,
    mailLink(c.email) ? el('li', { 'data-test': 'contact-email' }, t('offer.email') + ': ', mailLink(c.email)) : null,
    phoneLink(c.phone) ? el('li', { 'data-test': 'contact-phone' }, t('offer.phone') + ': ', phoneLink(c.phone)) : null,
    page ? el('li', { 'data-test': 'contact-page' }, extLink(page, t('contact.page'), null, about)) : null);
  const langs = Array.isArray(c.languages) && c.languages.length
    ? el('p', { class: 'langs', 'data-test': 'contact-languages' }, t('contact.languages', langNames(c.languages))) : null;
  const visit = locationBlock(c.location);
  if (!who && !list.childNodes.length && !langs && !visit) {
    return el('div', { class: 'contact-block none', 'data-test': 'contact' }, el('p', { class: 'hint' }, t('contact.none')));
  }
  return el('div', { class: 'contact-block', 'data-test': 'contact', 'data-from': from || 'none' },
    who ? el('p', { class: 'contact-who' }, who) : null,
    list.childNodes.length ? list : null,
    visit, langs,
    from === 'partner' ? el('p', { class: 'hint' }, t('contact.partner')) : null);
}
