/*
 * offer.js — an offer in the to-do list, as the match gives it: its name,
 * partner and fit, how to reach the partner (contact.js), "Ask for an
 * appointment" and "Choose this partner", and why it is listed (terms.js).
 */
import { askWay } from './ask.js';
import { contactBlock } from './contact.js';
import { termLabel } from './data.js';
import { badge, el, extLink, partnerHref, recText, safeUrl } from './dom.js';
import { has, lang, langNames, t, txt } from './i18n.js';
import { whyBlock } from './terms.js';

export function sameOffer(a, b) {
  return !!a && !!b && a.author === b.author && a.id === b.id;
}

/* The appointment action for offer o: a link (booking page, phone, web
 * page) or, for e-mail, a button that opens the e-mail to edit.  ask(o,
 * way) is called when the starter follows it. */
function askAction(o, ask) {
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

/*
 * The card of offer o.  ctx: { chosen (the step's chosen offer or null),
 * later (an offer for the next phase), choose(o), ask(o, way) }.
 */
export function offerCard(o, ctx) {
  const name = txt(o.name);
  const partnerName = txt(o.partner);
  const partnerId = typeof o.partner_id === 'string' && o.partner_id ? o.partner_id : null;
  const isChosen = sameOffer(ctx.chosen, o);
  const meta = el('p', { class: 'meta' },
    isChosen ? badge(t('offer.chosen'), 'chosen') : null,
    o.free ? badge(t('offer.free'), 'free') : null,
    has('offer.fit.' + o.answers) ? el('span', { class: 'fit' }, t('offer.fit.' + o.answers)) : null);
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
  return el('li', {
    class: 'offer' + (isChosen ? ' chosen' : ''), 'data-test': ctx.later ? 'later-offer' : 'offer',
    'data-offer': o.id, 'data-author': o.author,
  },
  recText('h3', { class: 'offer-name' }, o.name), by, meta.childNodes.length ? meta : null, phases, langs,
  el('h4', { class: 'vh' }, t('contact.title')),
  contactBlock(o.contact, o.contact_from, o.url, name), more,
  el('div', { class: 'offer-actions' }, askAction(o, ctx.ask), choose),
  whyBlock(o));
}
