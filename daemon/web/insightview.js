/*
 * insightview.js — #/insight, for the city and the partners: the figures
 * released from the steps starters agreed to send (GET /api/v1/insight),
 * drawn as SVG made here (no outside library, nothing loaded from
 * elsewhere): per kind of starter, the funnel of each need and the
 * common orders of steps with the weeks between them, the partners
 * chosen; and the gaps weighed by demand (GET /api/v1/gaps) as a heat map
 * of need × phase.  Every figure counts at least k starters: the node
 * released no other.  Colours come from insight.css by class (the CSP
 * allows no inline style).
 */
import { api } from './api.js';
import { partnersOrNothing, termLabel, terms } from './data.js';
import { $, clear, el } from './dom.js';
import { t, txt } from './i18n.js';
import './insight.js'; /* its words */
import { route } from './router.js';
import { busy, sayError } from './status.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEAT_LEVELS = 6; /* insight.css: heat-0 … heat-5 */

const view = { data: null, gaps: null, bySector: null, release: 0, bucket: 0, sector: '' };

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

function figure(label, ...parts) {
  return svg('svg', { role: 'img', 'aria-label': label, class: 'chart', preserveAspectRatio: 'xMinYMin meet' },
    svg('title', null, label), ...parts);
}

function num(v) {
  return Number.isInteger(v) ? v : 0;
}

/* ---- what a bucket is -------------------------------------------------------- */

export function bucketLabel(b) {
  if (b.level === 0) return t('insight.everyoneElse');
  const bits = [termLabel('phase', b.phase)];
  if (b.level >= 2) bits.push(b.sector ? termLabel('sector', b.sector) : t('insight.sectorNone'));
  if (b.level >= 3) bits.push(b.activity ? termLabel('activity', b.activity) : t('insight.activityNone'));
  if (b.level >= 4) {
    if (typeof b.student === 'boolean') bits.push(t(b.student ? 'insight.student' : 'insight.notStudent'));
    if (typeof b.international === 'boolean') bits.push(t(b.international ? 'insight.intl' : 'insight.notIntl'));
    if (typeof b.side_activity === 'boolean') bits.push(t(b.side_activity ? 'insight.side' : 'insight.main'));
  } else {
    bits.push(t('insight.others'));
  }
  return bits.join(' · ');
}

/* ---- the funnel ---------------------------------------------------------------- */

const BARS = [['listed', 'bar-listed'], ['chosen', 'bar-chosen'], ['done', 'bar-done'], ['unmet', 'bar-unmet']];

function funnel(b) {
  const rows = Array.isArray(b.needs) ? b.needs : [];
  const max = Math.max(1, num(b.starters), ...rows.map((r) => Math.max(...BARS.map(([k]) => num(r[k])))));
  const labelW = 250, barW = 400, rowH = 46, w = labelW + barW + 60;
  const parts = [];
  rows.forEach((r, i) => {
    const y = 10 + i * rowH;
    const name = termLabel('need', r.need);
    parts.push(svg('text', { x: 0, y: y + 14, class: 'label' }, name));
    BARS.forEach(([k, cls], j) => {
      const v = num(r[k]);
      const by = y + 18 + j * 6;
      parts.push(svg('rect', { x: labelW, y: by - 18 + 6, width: barW, height: 5, class: 'track' }));
      if (v) {
        parts.push(svg('rect', { x: labelW, y: by - 12, width: Math.max(2, Math.round(barW * v / max)), height: 5, class: cls, 'data-need': r.need, 'data-step': k, 'data-value': v },
          svg('title', null, name + ': ' + t('insight.' + k) + ' ' + v)));
      }
    });
    const summary = BARS.map(([k]) => (r[k] === undefined ? '–' : String(r[k]))).join(' / ');
    parts.push(svg('text', { x: labelW + barW + 6, y: y + 28, class: 'value' }, summary));
  });
  const h = 20 + rows.length * rowH;
  const legend = svg('g', { class: 'legend' }, ...BARS.map(([k, cls], j) => svg('g', null,
    svg('rect', { x: labelW + j * 110, y: h, width: 10, height: 10, class: cls }),
    svg('text', { x: labelW + j * 110 + 14, y: h + 9 }, t('insight.' + k)))));
  const f = figure(t('insight.funnel') + ': ' + bucketLabel(b), ...parts, legend);
  f.setAttribute('viewBox', '0 0 ' + w + ' ' + (h + 20));
  f.setAttribute('data-test', 'insight-funnel');
  return f;
}

/* ---- the orders ---------------------------------------------------------------- */

function orders(b) {
  const list = Array.isArray(b.orders) ? b.orders : [];
  if (!list.length) return el('p', { class: 'hint' }, t('insight.noOrders'));
  const max = Math.max(1, ...list.map((o) => num(o.starters)));
  const boxW = 170, gap = 70, rowH = 64;
  const parts = [];
  list.forEach((o, i) => {
    const y = 8 + i * rowH;
    const stroke = 1 + Math.round(5 * num(o.starters) / max);
    (o.steps || []).forEach((need, s) => {
      const x = s * (boxW + gap);
      if (s) {
        const weeks = num((o.weeks || [])[s - 1]);
        parts.push(svg('line', { x1: x - gap + 4, y1: y + 20, x2: x - 8, y2: y + 20, class: 'arrow', 'stroke-width': stroke, 'marker-end': 'url(#insight-arrow)' }));
        parts.push(svg('text', { x: x - gap / 2, y: y + 12, class: 'weeks', 'text-anchor': 'middle' }, t('insight.weeks', weeks)));
      }
      parts.push(svg('rect', { x, y: y + 4, width: boxW, height: 32, rx: 6, class: 'step', 'stroke-width': stroke }));
      parts.push(svg('text', { x: x + boxW / 2, y: y + 25, class: 'step-label', 'text-anchor': 'middle' }, termLabel('need', need)));
    });
    parts.push(svg('text', { x: 3 * (boxW + gap) - gap + 8, y: y + 25, class: 'value' }, t('insight.starters', num(o.starters))));
  });
  const defs = svg('defs', null, svg('marker', { id: 'insight-arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })));
  const f = figure(t('insight.orders') + ': ' + bucketLabel(b), defs, ...parts);
  f.setAttribute('viewBox', '0 0 ' + (3 * (boxW + gap) + 60) + ' ' + (16 + list.length * rowH));
  f.setAttribute('data-test', 'insight-orders');
  return f;
}

/* ---- the partners -------------------------------------------------------------- */

function partnersList(b, partners) {
  const list = Array.isArray(b.partners) ? b.partners : [];
  if (!list.length) return el('p', { class: 'hint' }, t('insight.noPartners'));
  return el('ul', { class: 'insight-partners', 'data-test': 'insight-partners' }, list.map((p) => {
    const rec = p.partner ? partners.map.get(p.author + '/' + p.partner) : null;
    return el('li', null, termLabel('need', p.need) + ': ', el('strong', null, rec ? txt(rec.name) : (p.partner || p.author)),
      ' — ' + t('insight.starters', num(p.starters)));
  }));
}

/* ---- the heat map ---------------------------------------------------------------- */

function heatmap(gaps, sector) {
  const needs = terms('need').map((x) => x.id), phases = terms('phase').map((x) => x.id);
  const cells = (Array.isArray(gaps.cells) ? gaps.cells : []).filter((c) => !sector || c.sector === sector);
  const at = new Map(cells.map((c) => [c.need + '/' + c.phase, c]));
  const max = Math.max(1, ...cells.map((c) => num(c.unmet)));
  const labelW = 250, cw = 96, ch = 24;
  const parts = phases.map((p, j) => svg('text', { x: labelW + j * cw + cw / 2, y: 14, class: 'label', 'text-anchor': 'middle' }, termLabel('phase', p)));
  needs.forEach((n, i) => {
    const y = 22 + i * ch;
    parts.push(svg('text', { x: 0, y: y + 16, class: 'label' }, termLabel('need', n)));
    phases.forEach((p, j) => {
      const c = at.get(n + '/' + p) || { unmet: 0, offers: 0, partners: 0 };
      const u = num(c.unmet);
      const level = u ? 1 + Math.min(HEAT_LEVELS - 2, Math.floor((HEAT_LEVELS - 1) * u / (max + 1))) : 0;
      const label = t('insight.cell', termLabel('need', n), termLabel('phase', p), u, num(c.offers), num(c.partners));
      parts.push(svg('rect', { x: labelW + j * cw + 1, y: y + 1, width: cw - 2, height: ch - 2, class: 'heat-' + level, 'data-need': n, 'data-phase': p, 'data-unmet': u, 'data-offers': num(c.offers), 'data-test': 'heat-cell' },
        svg('title', null, label)));
      const text = (u ? String(u) : '') + (num(c.offers) === 0 ? (u ? ' ×' : '×') : '');
      if (text) parts.push(svg('text', { x: labelW + j * cw + cw / 2, y: y + 16, class: 'cell' + (level >= 3 ? ' dark' : ''), 'text-anchor': 'middle' }, text));
    });
  });
  const f = figure(t('insight.gaps'), ...parts);
  f.setAttribute('viewBox', '0 0 ' + (labelW + phases.length * cw + 4) + ' ' + (26 + needs.length * ch));
  f.setAttribute('data-test', 'insight-heatmap');
  return f;
}

async function drawGaps(seq) {
  const where = $('insight-gaps');
  if (!where) return;
  let gaps = view.gaps;
  if (view.sector) {
    if (!view.bySector) view.bySector = await api('api/v1/gaps?by=sector');
    gaps = view.bySector;
  }
  if (seq !== route.seq) return;
  clear(where);
  if (!gaps.demand) {
    where.appendChild(el('p', { class: 'hint', 'data-test': 'insight-gaps-none' }, t('insight.gapsNone')));
    return;
  }
  where.appendChild(heatmap(gaps, view.sector));
}

/* ---- the view ------------------------------------------------------------------- */

function selectOf(id, label, options, value, onChange) {
  const s = el('select', { id, 'data-test': id }, options.map(([v, text]) => el('option', { value: v, selected: String(v) === String(value) ? true : null }, text)));
  s.addEventListener('change', () => onChange(s.value));
  return el('div', { class: 'field' }, el('label', { for: id }, label), s);
}

function releaseName(r) {
  return r.from === 'this node' ? t('insight.thisNode') + (r.week ? ', ' + t('insight.week', r.week) : '')
    : (r.name || r.from) + (r.issued ? ', ' + r.issued.slice(0, 10) : '');
}

function drawBucket(r, partners) {
  const where = $('insight-bucket');
  clear(where);
  const buckets = Array.isArray(r.buckets) ? r.buckets : [];
  if (!buckets.length) {
    where.appendChild(el('p', null, t('insight.noBuckets', r.k || 10)));
    return;
  }
  const b = buckets[Math.min(view.bucket, buckets.length - 1)];
  where.append(
    selectOf('insight-bucket-select', t('insight.bucket'), buckets.map((x, i) => [i, bucketLabel(x) + (x.starters ? ' (' + t('insight.starters', x.starters) + ')' : '')]), view.bucket,
      (v) => { view.bucket = Number(v); drawBucket(r, partners); }),
    el('h2', null, t('insight.funnel')), el('p', { class: 'hint' }, t('insight.funnelHint')), funnel(b),
    el('h2', null, t('insight.orders')), el('p', { class: 'hint' }, t('insight.ordersHint')), orders(b),
    el('h2', null, t('insight.partners')), partnersList(b, partners));
}

/* The answer carries the buckets of one release only (API.md): ask for
 * the chosen one's the first time it is drawn. */
async function chooseRelease(seq, partners) {
  const releases = view.data.releases || [];
  const r = releases[view.release];
  if (r && r.more > 0 && !(r.buckets || []).length) {
    busy(true);
    const ans = await api('api/v1/insight?from=' + encodeURIComponent(r.from));
    busy(false);
    if (seq !== route.seq) return;
    const got = (ans.releases || []).find((x) => x.from === r.from);
    if (got) releases[view.release] = got;
  }
  await draw(seq, partners);
}

function draw(seq, partners) {
  const body = clear($('insight-body'));
  const releases = view.data.releases || [];
  const r = releases[Math.min(view.release, releases.length - 1)];
  body.appendChild(el('p', { class: 'lead' }, t('insight.intro', (r && r.k) || 10)));
  if (!r) {
    body.appendChild(el('p', { 'data-test': 'insight-none' }, t('insight.none')));
  } else {
    if (releases.length > 1) {
      body.appendChild(selectOf('insight-release', t('insight.from'), releases.map((x, i) => [i, releaseName(x)]), view.release,
        (v) => { view.release = Number(v); view.bucket = 0; chooseRelease(route.seq, partners).catch((e) => sayError(e)); }));
    } else {
      body.appendChild(el('p', null, t('insight.from') + ' ' + releaseName(r)));
    }
    body.appendChild(el('div', { id: 'insight-bucket' }));
    drawBucket(r, partners);
  }
  body.append(el('h2', null, t('insight.gaps')), el('p', { class: 'hint' }, t('insight.gapsHint')),
    selectOf('insight-sector', t('insight.sector'), [['', t('insight.allSectors')]].concat(terms('sector').map((s) => [s.id, termLabel('sector', s.id)])), view.sector,
      (v) => { view.sector = v; drawGaps(route.seq).catch((e) => sayError(e)); }),
    el('div', { id: 'insight-gaps' }));
  return drawGaps(seq);
}

export async function showInsight(seq) {
  busy(true);
  try {
    const [data, gaps, partners] = await Promise.all([api('api/v1/insight'), api('api/v1/gaps'), partnersOrNothing()]);
    if (seq !== route.seq) return;
    view.data = data;
    view.gaps = gaps;
    view.bySector = null;
    busy(false);
    await draw(seq, partners);
  } catch (e) {
    if (seq === route.seq) sayError(e);
  }
}
