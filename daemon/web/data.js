/*
 * data.js — what several views share, fetched once per page load: the
 * taxonomy (the questions, the labels) and the partners (their names,
 * for the views that name a record's partner).
 */
import { api } from './api.js';
import { el, partnerHref } from './dom.js';
import { txt } from './i18n.js';

/* The record kinds a reader sees. */
export const KINDS = ['partner', 'offer', 'event', 'news'];

const cache = { taxonomy: null, partners: null };

export async function loadTaxonomy() {
  if (!cache.taxonomy) cache.taxonomy = await api('api/v1/taxonomy');
  return cache.taxonomy;
}

export function terms(facet) {
  const list = cache.taxonomy && cache.taxonomy[facet];
  return Array.isArray(list) ? list : [];
}

export function termLabel(facet, id) {
  const term = terms(facet).find((x) => x.id === id);
  return term ? txt(term.label) || id : id;
}

/* author/id -> partner record; failures only cost the partner names. */
async function loadPartners() {
  if (!cache.partners) {
    /* a page of 500 at a time, at most 20 pages: a federation's partners */
    const list = [];
    let after = null;
    for (let page = 0; page < 20; page++) {
      const ans = await api('api/v1/partners' + (after ? '?after=' + encodeURIComponent(after) : ''));
      list.push(...(ans.partners || []));
      if (!ans.more || typeof ans.next !== 'string') break;
      after = ans.next;
    }
    const map = new Map();
    for (const p of list) map.set(p.author + '/' + p.id, p);
    cache.partners = { list, map };
  }
  return cache.partners;
}

/* The list again: an index is cheap and may have changed. */
export async function reloadPartners() {
  cache.partners = null;
  return loadPartners();
}

export async function partnersOrNothing() {
  try {
    return await loadPartners();
  } catch (e) {
    return { list: [], map: new Map() };
  }
}

function partnerOf(rec, partners) {
  if (!rec || !rec.partner || !partners) return null;
  return partners.map.get(rec.author + '/' + rec.partner) || null;
}

/* "Partner: <link>" for a record that belongs to a partner. */
export function partnerLine(rec, partners, prefix) {
  const p = partnerOf(rec, partners);
  if (!p && !rec.partner) return null;
  const name = p ? txt(p.name) : rec.partner;
  return el('p', { class: 'by' }, prefix ? prefix + ' ' : '',
    el('a', { href: partnerHref(rec.author, rec.partner), 'data-test': 'partner-link' }, name));
}
