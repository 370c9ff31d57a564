/*
 * search.js — searching the directory (#/search?q=…&kind=…): in every
 * language, the page's own first (prefer=), so that a word read in the
 * other language ("financieringen" on the English page) finds too.
 */
import { api, query } from './api.js';
import { KINDS, partnersOrNothing } from './data.js';
import { dateText, timeEl, whenText } from './dates.js';
import { $, badge, clear, el, extLink, partnerHref, safeUrl } from './dom.js';
import { lang, t, txt } from './i18n.js';
import { route } from './router.js';
import { busy, sayError } from './status.js';

/* The link to a record's own page, named by what it is. */
const MORE = { offer: 'offer.website', event: 'event.more', news: 'news.read', partner: 'partner.website' };

function recordTitle(r) {
  return r.kind === 'news' ? r.title : r.name;
}

function hitItem(hit, partners) {
  const r = hit.record || {};
  const kind = KINDS.includes(r.kind) ? r.kind : 'offer';
  const pid = kind === 'partner' ? r.id : r.partner;
  const p = pid ? partners.map.get(r.author + '/' + pid) : null;
  const snippet = txt(r.description) || txt(r.summary);
  const short = snippet.length > 240 ? snippet.slice(0, 237).replace(/\s+\S*$/, '') + '…' : snippet;
  const title = kind === 'partner' && pid
    ? el('a', { href: partnerHref(r.author, pid), 'data-test': 'partner-link' }, txt(r.name))
    : txt(recordTitle(r));
  const h = el('h2', { class: 'hit-title' }, badge(t('kind.' + kind), 'kind kind-' + kind), ' ', title);
  const when = kind === 'event' ? el('p', { class: 'when' }, timeEl(r.start, whenText(r.start, r.end)))
    : kind === 'news' ? el('p', { class: 'when' }, timeEl(r.published, dateText(r.published))) : null;
  const by = kind !== 'partner' && pid
    ? el('p', { class: 'by' }, t('offer.by') + ' ',
      el('a', { href: partnerHref(r.author, pid), 'data-test': 'partner-link' }, p ? txt(p.name) : pid))
    : null;
  return el('li', { class: 'hit', 'data-test': 'hit', 'data-kind': kind },
    h, when, by, short ? el('p', { class: 'snippet' }, short) : null,
    safeUrl(r.url) ? el('p', null, extLink(r.url, t(MORE[kind]), { 'data-test': 'hit-url' }, txt(recordTitle(r)))) : null);
}

export async function showSearch(seq, params) {
  const q = (params.get('q') || '').trim();
  const kind = KINDS.includes(params.get('kind')) ? params.get('kind') : '';
  $('search-q').value = q;
  $('search-kind').value = kind;
  const list = clear($('search-results'));
  $('search-count').textContent = '';
  if (!q) return;
  busy(true);
  try {
    const [ans, partners] = await Promise.all([
      api('api/v1/search' + query({ q, kind, prefer: lang })), partnersOrNothing()]);
    if (seq !== route.seq) return;
    const hits = ans.hits || [];
    const count = hits.length === 1 ? t('search.count1', 1, q) : hits.length ? t('search.count', hits.length, q) : t('search.none', q);
    // records the node holds but has not indexed yet: no search finds them
    const behind = Number.isInteger(ans.index_behind) && ans.index_behind > 0
      ? ' ' + t('search.behind', ans.index_behind) : '';
    busy(false);
    $('search-count').textContent = count + behind;
    for (const hit of hits) list.appendChild(hitItem(hit, partners));
  } catch (e) {
    if (seq !== route.seq) return;
    sayError(e);
  }
}
