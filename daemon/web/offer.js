/*
 * offer.js — an offer in the to-do list, as the match gives it: its name,
 * partner, fit and what it is (its description, three lines on a phone
 * until the starter asks for all), how to reach the partner (contact.js,
 * folded behind one tap), "Ask for an appointment" and "Choose this
 * partner", and why it is listed (terms.js).
 */
import { askWay } from './ask.js';
import { contactBlock } from './contact.js';
import { termLabel } from './data.js';
import { badge, el, extLink, paragraphs, partnerHref, recText, safeUrl } from './dom.js';
import { has, lang, langNames, t, txt } from './i18n.js';
import { criterionNotes, whyBlock } from './terms.js';

export function sameOffer(a, b) {
  return !!a && !!b && a.author === b.author && a.id === b.id;
}

/* The appointment action for offer o: a link (booking page, phone, web
 * page) or, for e-mail, a button that opens the e-mail to edit.  ask(o,
 * way) is called when the starter follows it. */
export function askAction(o, ask) {
  const way = askWay(o);
  if (!way) return null;
  const name = txt(o.name);
  if (way.kind === 'mail') {
    const b = el('button', { type: 'button', class: 'primary', 'data-test': 'ask', 'data-ask': 'mail',
      'aria-label': t('ask.mail') + ': ' + name }, t('ask.mail'));
    b.addEventListener('click', () => ask(o, way));
    return b;
  }
  const a = el('a', {
    href: way.href, class: 'button primary', 'data-test': 'ask', 'data-ask': way.kind,
    'aria-label': t('ask.' + way.kind) + ': ' + name,
  }, t('ask.' + way.kind));
  if (way.kind !== 'call') {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer external');
  }
  a.addEventListener('click', () => ask(o, way));
  return a;
}

/* What the offer is: its description (body, with id), clamped to a few
 * lines on a phone (style.css), and a button to read it all (toggle) that
 * fitDescriptions() shows only where the text is cut; null for none. */
export function descParts(o, about, id) {
  if (!txt(o.description)) return null;
  const body = el('div', { id, class: 'desc clamp', 'data-test': 'offer-desc' }, paragraphs(o.description));
  const toggle = el('button', {
    type: 'button', class: 'link desc-toggle', 'data-test': 'desc-toggle', 'aria-expanded': 'false',
    'aria-controls': id, 'aria-label': t('offer.readMore') + ': ' + about, hidden: true,
  }, t('offer.readMore'));
  toggle.addEventListener('click', () => {
    const open = body.classList.toggle('clamp') === false;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = t(open ? 'offer.readLess' : 'offer.readMore');
    toggle.setAttribute('aria-label', t(open ? 'offer.readLess' : 'offer.readMore') + ': ' + about);
  });
  return { body, toggle };
}

/* Show "Read all" for the descriptions in root that the clamp cuts (once
 * they are laid out). */
export function fitDescriptions(root) {
  for (const toggle of root.querySelectorAll('.desc-toggle')) {
    const body = document.getElementById(toggle.getAttribute('aria-controls'));
    if (body && body.classList.contains('clamp')) toggle.hidden = body.scrollHeight <= body.clientHeight + 2;
  }
}

/* How to reach the partner as plain text, for paper (style.css shows it
 * only in print): e-mail, phone, address, web address. */
export function printContact(c, url) {
  c = c && typeof c === 'object' ? c : {};
  const loc = c.location && typeof c.location === 'object' ? c.location : {};
  const a = loc.address && typeof loc.address === 'object' ? loc.address : {};
  const str = (x) => (typeof x === 'string' && x ? x : null);
  const address = [str(a.street), [str(a.postal_code), str(a.locality)].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const bits = [str(c.email), str(c.phone), address || null, safeUrl(c.booking_url) || safeUrl(c.url) || safeUrl(url)].filter(Boolean);
  return bits.length ? el('p', { class: 'print-contact', 'data-test': 'print-contact' }, bits.join(' · ')) : null;
}

/* How to reach the partner, folded: one tap opens it. */
export function contactFold(contact, from, fallback, about, extra) {
  return el('details', { class: 'contact-fold', 'data-test': 'contact-fold' },
    el('summary', { 'aria-label': t('contact.title') + ': ' + about }, t('contact.title')),
    contactBlock(contact, from, fallback, about), extra);
}

/*
 * The card of offer o.  ctx: { chosen (the step's chosen offer or null),
 * later (an offer for the next phase), choose(o), ask(o, way), profile
 * (the starter's answers), textLang }.
 */
export function offerCard(o, ctx) {
  const name = txt(o.name);
  const partnerName = txt(o.partner);
  const partnerId = typeof o.partner_id === 'string' && o.partner_id ? o.partner_id : null;
  const isChosen = sameOffer(ctx.chosen, o);
  /* "fits exactly" is said only of an offer whose every criterion the
   * starter meets; a preference not met, or a criterion the answers do not
   * say, is said next to the fit */
  const notes = criterionNotes(o, ctx.profile);
  const fit = o.answers === 'exactly' && notes.length ? 'made' : o.answers;
  const meta = el('p', { class: 'meta' },
    isChosen ? badge(t('offer.chosen'), 'chosen') : null,
    o.free ? badge(t('offer.free'), 'free') : null,
    has('offer.fit.' + fit) ? el('span', { class: 'fit', 'data-test': 'fit' }, t('offer.fit.' + fit)) : null);
  const caveats = notes.length ? el('ul', { class: 'fit-notes', 'data-test': 'fit-notes' },
    notes.map((n) => el('li', { class: 'fit-note ' + n.kind, 'data-test': 'fit-note', 'data-kind': n.kind,
      'data-criterion': n.criterion }, n.text))) : null;
  const by = partnerName ? el('p', { class: 'by' }, t('offer.by') + ' ',
    partnerId ? el('a', { href: partnerHref(o.author, partnerId), 'data-test': 'partner-link' }, partnerName)
      : partnerName) : null;
  const phases = ctx.later && Array.isArray(o.phases) && o.phases.length
    ? el('p', { class: 'for' }, t('offer.for', o.phases.map((p) => termLabel('phase', p)).join(', '))) : null;
  const langs = Array.isArray(o.languages) && o.languages.length && !o.languages.includes(lang)
    ? el('p', { class: 'langs' }, t('offer.languages', langNames(o.languages))) : null;
  const contactUrl = o.contact && typeof o.contact === 'object' ? o.contact.url : null;
  const more = safeUrl(o.url) && o.url !== contactUrl && o.contact
    ? el('p', { class: 'more-link' }, extLink(o.url, t('offer.website'), { 'data-test': 'offer-url' }, name)) : null;
  const choose = isChosen ? null : el('button', {
    type: 'button', class: 'secondary', 'data-test': 'choose', 'aria-label': t('offer.choose') + ': ' + name,
  }, t('offer.choose'));
  if (choose) choose.addEventListener('click', () => ctx.choose(o));
  const desc = descParts(o, name, (ctx.anchor || 'later-' + o.author + '-' + o.id) + '-desc');
  return el('li', {
    class: 'offer' + (isChosen ? ' chosen' : ''), 'data-test': ctx.later ? 'later-offer' : 'offer',
    'data-offer': o.id, 'data-author': o.author, id: ctx.anchor || null,
  },
  recText('h3', { class: 'offer-name', tabindex: '-1' }, o.name), by, meta.childNodes.length ? meta : null, caveats,
  desc && desc.body, phases, langs, ctx.printContact ? printContact(o.contact, o.url) : null,
  /* what opens with a tap, side by side on one row until it is opened */
  el('div', { class: 'offer-more' }, desc && desc.toggle,
    contactFold(o.contact, o.contact_from, o.url, name, more), whyBlock(o, ctx.textLang, ctx.profile)),
  el('div', { class: 'offer-actions' }, askAction(o, ctx.ask), choose));
}

/* An offer shown in full at an earlier step (step: its number, label),
 * as one line that takes the starter there (go()): the whole line is the
 * button, so that it is no taller than its words. */
export function offerAgain(o, step, label, go) {
  const name = txt(o.name);
  const to = el('button', {
    type: 'button', class: 'link again-go', 'data-test': 'offer-again-go',
    'aria-label': t('offer.againLabel', name, step, label),
  }, recText('span', { class: 'offer-again-name' }, o.name),
  txt(o.partner) ? el('span', { class: 'offer-again-by' }, ' (' + txt(o.partner) + ')') : null,
  el('span', { class: 'offer-again-step' }, ' — ' + t('offer.again', step)));
  to.addEventListener('click', go);
  return el('li', { class: 'offer-again', 'data-test': 'offer-again', 'data-offer': o.id, 'data-author': o.author }, to);
}
