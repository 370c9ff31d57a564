/*
 * map.js — the map of the ecosystem (#/map?sector=S): who offers which
 * help to start-ups, in which sector, grouped by the hubs they sit at.
 *
 * The picture is the node's own (GET /map.svg, daemon/query/ecomap.h),
 * shown in an <img>: it looks the same here, in `gilde map --svg` and on
 * paper, and the page draws nothing itself.  The same map as JSON
 * (GET /api/v1/map) gives the hubs and a table, which a screen reader
 * reads and a printer prints under the picture.
 */
import { api, query } from './api.js';
import { terms, termLabel } from './data.js';
import { $, clear, el, partnerHref } from './dom.js';
import { lang, t, txt } from './i18n.js';
import { addView, go, route } from './router.js';
import { busy, sayError } from './status.js';
import { I18N } from './words.js';

const WORDS = {
  en: {
    'nav.map': 'Map',
    'map.title': 'The map of the ecosystem',
    'map.intro': 'Who offers which help to start-ups, in which sector, and where. A filled dot: offers made for the sector; a ring: offers open to every sector.',
    'map.sector': 'Sector',
    'map.all': 'Every sector',
    'map.show': 'Show',
    'map.alt': 'A matrix of the partners (rows, grouped by hub) and the help they offer (columns), for {0}.',
    'map.counts': '{0} partners, {1} offers.',
    'map.download': 'Download the picture (SVG)',
    'map.print': 'Print the map',
    'map.hubs': 'The hubs',
    'map.noHubs': 'No partner on this map names a hub.',
    'map.table': 'Every partner on the map',
    'map.partner': 'Partner',
    'map.hub': 'Hub',
    'map.where': 'Where',
    'map.helps': 'Helps with',
    'map.madeFor': '(made for particular sectors)',
    'map.more': 'The picture and the table list the first {0} of the {1} partners on the map.',
  },
  nl: {
    'nav.map': 'Kaart',
    'map.title': 'De kaart van het ecosysteem',
    'map.intro': 'Wie biedt starters welke hulp, in welke sector, en waar. Een volle stip: aanbod voor de sector; een ring: aanbod voor alle sectoren.',
    'map.sector': 'Sector',
    'map.all': 'Alle sectoren',
    'map.show': 'Toon',
    'map.alt': 'Een tabel van de partners (rijen, per hub) en de hulp die ze bieden (kolommen), voor {0}.',
    'map.counts': '{0} partners, {1} aanbiedingen.',
    'map.download': 'De afbeelding downloaden (SVG)',
    'map.print': 'De kaart afdrukken',
    'map.hubs': 'De hubs',
    'map.noHubs': 'Geen partner op deze kaart noemt een hub.',
    'map.table': 'Alle partners op de kaart',
    'map.partner': 'Partner',
    'map.hub': 'Hub',
    'map.where': 'Waar',
    'map.helps': 'Helpt met',
    'map.madeFor': '(voor bepaalde sectoren)',
    'map.more': 'De afbeelding en de tabel tonen de eerste {0} van de {1} partners op de kaart.',
  },
};
Object.assign(I18N.en, WORDS.en);
Object.assign(I18N.nl, WORDS.nl);
/* the page may have labelled the menu before this module came */
for (const a of document.querySelectorAll('[data-i18n="nav.map"]')) a.textContent = t('nav.map');

function place(p) {
  const loc = p.location || {};
  if (loc.from === 'area') return txt(loc.label);
  return typeof loc.locality === 'string' ? loc.locality : '';
}

function helpsWith(map, p) {
  const labels = new Map((map.needs || []).map((n) => [n.id, txt(n.label)]));
  /* a cell counts all its offers and lists only the first few */
  return (p.cells || []).map((c) => {
    const madeFor = typeof c.made_for === 'boolean' ? c.made_for
      : (c.offers || []).some((o) => Array.isArray(o.sectors));
    const n = Number.isInteger(c.count) ? c.count : (c.offers || []).length;
    return (labels.get(c.need) || c.need) + ' (' + n + ')' + (madeFor ? ' *' : '');
  }).join(', ');
}

function controls(sector) {
  const select = el('select', { id: 'map-sector', name: 'sector', 'data-test': 'map-sector' },
    el('option', { value: '' }, t('map.all')),
    terms('sector').map((s) => el('option', { value: s.id, selected: s.id === sector }, termLabel('sector', s.id))));
  const form = el('form', { class: 'filters map-filters', 'data-test': 'map-filters' },
    el('div', { class: 'field' }, el('label', { for: 'map-sector' }, t('map.sector')), select),
    el('div', { class: 'field field-button' }, el('button', { type: 'submit', class: 'secondary' }, t('map.show'))));
  const pick = (ev) => {
    if (ev) ev.preventDefault();
    go('#/map' + query({ sector: select.value }), true);
  };
  form.addEventListener('submit', pick);
  select.addEventListener('change', () => pick());
  return form;
}

function picture(map, sector) {
  const src = 'map.svg' + query({ sector, lang });
  const print = el('button', { type: 'button', class: 'secondary', 'data-test': 'map-print' }, t('map.print'));
  print.addEventListener('click', () => window.print());
  const alt = t('map.alt', sector ? termLabel('sector', sector) : t('map.all').toLowerCase());
  /* on a phone the picture keeps its own size (12 px text) and scrolls
   * sideways in its box: shrunk to the screen its words were 5 px high */
  return el('figure', { class: 'map-figure' },
    el('div', { class: 'table-scroll map-scroll', role: 'region', tabindex: '0', 'aria-label': alt, 'data-test': 'map-scroll' },
      el('img', { src, alt, 'data-test': 'map-img', class: 'map-img' })),
    el('figcaption', null, t('map.counts', map.partners_shown, map.offers_shown)),
    el('div', { class: 'actions' },
      el('a', { href: src, download: 'gilde-map' + (sector ? '-' + sector : '') + '.svg', class: 'button secondary',
        'data-test': 'map-download' }, t('map.download')), print));
}

function hubs(map) {
  const list = map.hubs || [];
  if (!list.length) return el('p', { class: 'empty' }, t('map.noHubs'));
  return el('ul', { class: 'map-hubs', 'data-test': 'map-hubs' }, list.map((h) => el('li', { 'data-hub': h.id },
    el('strong', null, txt(h.name)), ' — ', String(h.locality || ''), ': ',
    (map.partners || []).filter((p) => p.hub === h.id).map((p, i) => [i ? ', ' : '',
      el('a', { href: partnerHref(p.author, p.id) }, txt(p.name))]))));
}

function table(map) {
  const hubName = new Map((map.hubs || []).map((h) => [h.id, txt(h.name)]));
  /* a box of its own that scrolls sideways on a narrow screen, not the page */
  return el('div', { class: 'table-scroll', role: 'region', tabindex: '0', 'aria-label': t('map.table'), 'data-test': 'map-table-box' },
    el('table', { class: 'map-table', 'data-test': 'map-table' },
    el('thead', null, el('tr', null, ['map.partner', 'map.hub', 'map.where', 'map.helps']
      .map((k) => el('th', { scope: 'col' }, t(k))))),
    /* data-label: on a phone each row is a block, its cells named (CSS) */
    el('tbody', null, (map.partners || []).map((p) => el('tr', { 'data-partner': p.id },
      el('th', { scope: 'row' }, el('a', { href: partnerHref(p.author, p.id) }, txt(p.name))),
      el('td', { 'data-label': t('map.hub') }, p.hub ? hubName.get(p.hub) || p.hub : ''),
      el('td', { 'data-label': t('map.where') }, place(p)),
      el('td', { 'data-label': t('map.helps'), 'data-test': 'map-helps' }, helpsWith(map, p)))))));
}

async function show(seq, params) {
  const wanted = params.get('sector') || '';
  const sector = terms('sector').some((s) => s.id === wanted) ? wanted : '';
  const view = clear($('view-map'));
  view.appendChild(el('h1', { id: 'map-title', tabindex: '-1' }, t('map.title')));
  view.appendChild(el('p', { class: 'lead' }, t('map.intro')));
  view.appendChild(controls(sector));
  busy(true);
  let map;
  try {
    map = await api('api/v1/map' + query({ sector }));
  } catch (e) {
    if (seq === route.seq) sayError(e);
    return;
  }
  if (seq !== route.seq) return;
  busy(false);
  view.appendChild(picture(map, sector));
  view.appendChild(el('h2', null, t('map.hubs')));
  view.appendChild(hubs(map));
  view.appendChild(el('h2', null, t('map.table')));
  view.appendChild(el('p', { class: 'hint' }, '* ' + t('map.madeFor')));
  if (map.partners_more > 0) {
    view.appendChild(el('p', { class: 'hint', 'data-test': 'map-more' },
      t('map.more', (map.partners || []).length, map.partners_shown)));
  }
  view.appendChild(table(map));
}

addView('map', { parts: 0, show: (seq, rest, params) => show(seq, params) });
