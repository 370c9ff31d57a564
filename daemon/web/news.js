/*
 * news.js — the partners' news (#/news), and a news item as every view
 * shows it.
 */
import { api, query } from './api.js';
import { partnerLine, partnersOrNothing } from './data.js';
import { dateText, timeEl } from './dates.js';
import { $, clear, el, extLink, paragraphs, recText, safeUrl } from './dom.js';
import { lang, t, txt } from './i18n.js';
import { route } from './router.js';
import { busy, sayError } from './status.js';

export function newsItem(n, partners, level, showPartner) {
  return el('li', { class: 'news', 'data-test': 'news' },
    el('article', null,
      recText('h' + level, null, n.title),
      el('p', { class: 'when' }, timeEl(n.published, dateText(n.published))),
      showPartner ? partnerLine(n, partners, t('event.by')) : null,
      recText('p', { class: 'summary' }, n.summary),
      txt(n.body) ? el('details', null, el('summary', null, t('news.body')), paragraphs(n.body)) : null,
      safeUrl(n.url) ? el('p', null, extLink(n.url, t('news.read'), null, txt(n.title))) : null));
}

export async function showNews(seq) {
  $('news-atom').setAttribute('href', 'news.atom' + query({ lang }));
  const box = $('news-list');
  busy(true);
  try {
    const [ans, partners] = await Promise.all([api('api/v1/news'), partnersOrNothing()]);
    if (seq !== route.seq) return;
    busy(false);
    clear(box);
    const news = ans.news || [];
    if (!news.length) box.appendChild(el('p', { class: 'empty' }, t('news.none')));
    else box.appendChild(el('ol', { class: 'news-list' }, news.map((n) => newsItem(n, partners, 2, true))));
  } catch (e) {
    if (seq !== route.seq) return;
    clear(box);
    sayError(e);
  }
}
