/*
 * partners.js — the partners (#/partners) and one partner's page
 * (#/partner/AUTHOR/ID): its contact, offers, events and news.
 */
import { api } from './api.js';
import { reloadPartners, termLabel } from './data.js';
import { contactBlock } from './contact.js';
import { $, append, badge, clear, el, extLink, firstSentence, paragraphs, partnerHref, recText, safeUrl, seg } from './dom.js';
import { bySeries, eventItem } from './events.js';
import { lang, langNames, locale, t, txt, txtLang } from './i18n.js';
import { newsItem } from './news.js';
import { route } from './router.js';
import { busy, sayError } from './status.js';

export async function showPartners(seq) {
  const list = $('partner-list');
  busy(true);
  try {
    const partners = await reloadPartners();
    if (seq !== route.seq) return;
    busy(false);
    clear(list);
    const sorted = partners.list.slice().sort((a, b) => txt(a.name).localeCompare(txt(b.name), locale()));
    if (!sorted.length) list.appendChild(el('li', { class: 'empty' }, t('partners.none')));
    for (const p of sorted) {
      const loc = p.contact && p.contact.location && p.contact.location.address;
      const addr = loc && typeof loc.locality === 'string' ? loc.locality : null;
      /* what the partner does, in its first sentence: the trial's starter
       * met 43 cards saying only "Other" and "Offers: 3" */
      const first = firstSentence(txt(p.description));
      const what = first ? el('p', { class: 'what', 'data-test': 'partner-what' }, first) : null;
      const l = txtLang(p.description);
      if (what && l && l !== lang) what.setAttribute('lang', l);
      list.appendChild(el('li', { class: 'card', 'data-test': 'partner' },
        el('h2', null, el('a', { href: partnerHref(p.author, p.id), 'data-test': 'partner-link' }, txt(p.name))),
        what,
        el('p', { class: 'meta' },
          p.org_type ? el('span', { class: 'tag' }, termLabel('org_type', p.org_type)) : null,
          addr ? el('span', { class: 'tag' }, addr) : null),
        typeof p.offers === 'number' ? el('p', { class: 'count' }, t('partners.offers', p.offers)) : null));
    }
  } catch (e) {
    if (seq !== route.seq) return;
    clear(list);
    sayError(e);
  }
}

function dlRow(term, ...values) {
  const vals = values.filter(Boolean);
  return vals.length ? [el('dt', null, term), el('dd', null, vals)] : null;
}

function termList(facet, ids) {
  return Array.isArray(ids) && ids.length ? ids.map((x) => termLabel(facet, x)).join(', ') : null;
}

function partnerOffer(o) {
  const el_ = o.eligibility || {};
  const phases = termList('phase', el_.phases);
  return el('li', { class: 'offer', 'data-test': 'partner-offer', 'data-offer': o.id },
    recText('h3', { class: 'offer-name' }, o.name),
    el('p', { class: 'meta' },
      o.cost && o.cost.free === true ? badge(t('offer.free'), 'free') : null,
      (Array.isArray(o.needs) ? o.needs : []).map((n) => el('span', { class: 'tag' }, termLabel('need', n)))),
    paragraphs(o.description, 'desc'),
    phases ? el('p', { class: 'for' }, t('offer.for', phases)) : null,
    Array.isArray(o.languages) && o.languages.length ? el('p', { class: 'langs' }, t('offer.languages', langNames(o.languages))) : null,
    o.contact ? contactBlock(o.contact, 'offer', null, txt(o.name)) : null,
    safeUrl(o.url) ? el('p', { class: 'more-link' }, extLink(o.url, t('offer.website'), null, txt(o.name))) : null);
}

export async function showPartner(seq, author, id) {
  const body = clear($('partner-body'));
  $('partner-title').textContent = '';
  busy(true);
  try {
    /* its events and news are its own: no partner names to look up */
    const ans = await api('api/v1/partners/' + seg(author) + '/' + seg(id));
    if (seq !== route.seq) return;
    busy(false);
    const p = ans.partner || {};
    $('partner-title').textContent = txt(p.name) || id;
    const l = txtLang(p.name);
    if (l && l !== lang) $('partner-title').setAttribute('lang', l);
    else $('partner-title').removeAttribute('lang');
    document.title = txt(p.name) + ' – gilde';
    const facts = el('dl', { class: 'facts' },
      dlRow(t('partner.website'), extLink(p.url, p.url)),
      dlRow(t('partner.sectors'), termList('sector', p.sectors)),
      dlRow(t('partner.areas'), termList('area', p.areas)),
      dlRow(t('partner.languages'), Array.isArray(p.languages) ? langNames(p.languages) : null));
    const contact = [contactBlock(p.contact, 'partner-page', null, txt(p.name)), facts];
    const offers = ans.offers || [];
    const events = ans.events || [];
    const news = ans.news || [];
    /* a partner's page holds the first 100 of its offers and of its events */
    const more = ans.more || {};
    append(body, [
      p.org_type ? el('p', { class: 'meta' }, el('span', { class: 'tag' }, termLabel('org_type', p.org_type))) : null,
      paragraphs(p.description, 'lead'),
      el('section', { 'aria-labelledby': 'partner-contact' },
        el('h2', { id: 'partner-contact' }, t('partner.contact')), contact),
      el('section', { 'aria-labelledby': 'partner-offers', 'data-test': 'partner-offers' },
        el('h2', { id: 'partner-offers' }, t('partner.offers')),
        offers.length ? el('ul', { class: 'offers wide' }, offers.map(partnerOffer))
          : el('p', { class: 'empty' }, t('partner.noOffers')),
        more.offers > 0 ? el('p', { class: 'hint', 'data-test': 'partner-more-offers' }, t('partner.moreOffers', more.offers)) : null),
      events.length ? el('section', { 'aria-labelledby': 'partner-events' },
        el('h2', { id: 'partner-events' }, t('partner.events')),
        el('ol', { class: 'events' }, bySeries(events).map((x) => eventItem(x.ev, null, false, x.rest))),
        more.events > 0 ? el('p', { class: 'hint', 'data-test': 'partner-more-events' }, t('partner.moreEvents', more.events)) : null) : null,
      news.length ? el('section', { 'aria-labelledby': 'partner-news' },
        el('h2', { id: 'partner-news' }, t('partner.news')),
        el('ol', { class: 'news-list' }, news.map((n) => newsItem(n, null, 3, false)))) : null,
    ]);
  } catch (e) {
    if (seq !== route.seq) return;
    $('partner-title').textContent = id;
    sayError(e);
  }
}
