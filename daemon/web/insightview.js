/*
 * insightview.js — #/insight, for the city and the partners: the figures
 * released from the steps starters agreed to send (GET /api/v1/insight),
 * drawn as SVG made here (no outside library, nothing loaded from
 * elsewhere): per kind of starter, the funnel of each need and the
 * common orders of steps with the weeks between them, the partners
 * chosen; and the gaps weighed by demand (GET /api/v1/gaps) as a heat map
 * of need × phase, and, with or without figures, how many offers answer
 * each need in each phase (the same answer).  Every figure counts at least
 * k starters: the node released no other.  Colours and text sizes come
 * from insight.css by class (the CSP allows no inline style).
 */
import { api } from './api.js';
import { partnersOrNothing, termLabel, terms } from './data.js';
import { dateText } from './dates.js';
import { $, clear, el } from './dom.js';
import { t, txt } from './i18n.js';
import { weekName } from './insight.js'; /* and its words */
import { route } from './router.js';
import { busy, sayError } from './status.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEAT_LEVELS = 6; /* insight.css: heat-0 … heat-5 */
/* The charts are drawn in CSS pixels, one unit of the viewBox to one
 * pixel (insight.css sets no width on them), so that their text has the
 * size insight.css gives it on any screen: a chart wider than its box
 * scrolls sideways in it rather than shrinking its words.  Every place is
 * laid out from the widths of the words as this browser draws them. */
const LINE = 17; /* a line of chart text (13 px) */
const PAD = 4; /* room around a chart for strokes */
const MAX_W = 880; /* the widest a chart is drawn */

const view = { data: null, gaps: null, bySector: null, partners: null, release: 0, bucket: 0, sector: '', width: 0 };

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

/* ---- the widths of words -------------------------------------------------------- */

let ruler = null;
const widths = new Map();

/* How wide s is drawn in chart text of class cls (insight.css), in px: in
 * a hidden SVG of the same classes, as the browser lays it out. */
function textWidth(s, cls) {
  const key = (cls || '') + '\n' + s;
  if (widths.has(key)) return widths.get(key);
  if (!ruler || !ruler.isConnected) {
    ruler = svg('svg', { class: 'chart chart-ruler', 'aria-hidden': 'true', width: 1, height: 1 });
    document.body.appendChild(ruler);
  }
  const e = svg('text', { x: 0, y: LINE, class: cls || null }, s);
  ruler.appendChild(e);
  const w = Math.ceil(e.getComputedTextLength());
  ruler.removeChild(e);
  if (!(w > 0)) return s.length * 8; /* not laid out: a wide guess, not kept */
  widths.set(key, w);
  return w;
}

/* s in lines no wider than max, broken between words; a word wider than
 * max is a line of its own (the chart grows to hold it). */
function wrap(s, cls, max) {
  const lines = [];
  let line = '';
  for (const word of String(s).split(/\s+/).filter(Boolean)) {
    const next = line ? line + ' ' + word : word;
    if (line && textWidth(next, cls) > max) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

function widest(list, cls) {
  return Math.max(0, ...list.map((l) => textWidth(l, cls)));
}

/* A text of one or more lines, the first with its baseline at y. */
function lines(x, y, list, attrs) {
  return svg('text', Object.assign({ x, y }, attrs), ...list.map((l, i) => svg('tspan', { x, dy: i ? LINE : null }, l)));
}

/* The width a chart may take: its part of the page, at most MAX_W. */
function room() {
  const body = $('insight-body');
  const w = (body && body.clientWidth) || (window.innerWidth - 32);
  return Math.max(260, Math.min(MAX_W, w));
}

/* Swatches and their words in rows no wider than w (one to a row at
 * least), from y down: the group, its height and its width. */
function legend(items, y, w) {
  const g = svg('g', { class: 'legend' });
  let x = 0, row = 0, right = 0;
  for (const [cls, text] of items) {
    const iw = 12 + 6 + textWidth(text, 'legend-text');
    if (x && x + iw > w) { x = 0; row++; }
    const ty = y + row * (LINE + 4);
    g.append(svg('rect', { x: PAD + x, y: ty + 2, width: 12, height: 12, class: cls }),
      svg('text', { x: PAD + x + 18, y: ty + 13, class: 'legend-text' }, text));
    right = Math.max(right, x + iw);
    x += iw + 18;
  }
  return [g, (row + 1) * (LINE + 4), right];
}

function figure(label, w, h, test, ...parts) {
  w = Math.ceil(w);
  h = Math.ceil(h);
  const f = svg('svg', { role: 'img', 'aria-label': label, class: 'chart', width: w, height: h, viewBox: '0 0 ' + w + ' ' + h, 'data-test': test },
    svg('title', null, label), ...parts);
  /* a cell's or a bar's words on a tap: its <title> shows on a hover only,
   * which a phone has not (fourth phone trial) */
  const said = el('p', { class: 'cell-said', 'data-test': test + '-said', 'aria-live': 'polite' });
  f.addEventListener('click', (ev) => {
    const title = ev.target.closest('rect') && ev.target.closest('rect').querySelector('title');
    if (title) said.textContent = title.textContent;
  });
  return el('div', { class: 'chart-box', 'data-test': test + '-box' }, f, said);
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
const BAR_H = 11, BAR_STEP = 15;

/* Per need its name and four bars, each with its number after it; the
 * name beside the bars where the width allows, above them otherwise. */
function funnel(b) {
  const rows = Array.isArray(b.needs) ? b.needs : [];
  const max = Math.max(1, num(b.starters), ...rows.map((r) => Math.max(...BARS.map(([k]) => num(r[k])))));
  const W = room() - 2 * PAD;
  const valueOf = (r, k) => (Number.isInteger(r[k]) ? String(r[k]) : '–');
  const valueW = 6 + Math.max(...rows.map((r) => widest(BARS.map(([k]) => valueOf(r, k)), 'value')), textWidth('–', 'value'));
  const names = rows.map((r) => termLabel('need', r.need));
  const nameW = widest(names, 'label');
  const side = nameW + 16 + 160 + valueW <= W;
  const barX = side ? nameW + 16 : 0;
  const barW = Math.max(60, W - barX - valueW);
  const parts = [];
  let y = PAD;
  let right = barX + barW + valueW;
  rows.forEach((r, i) => {
    const name = side ? [names[i]] : wrap(names[i], 'label', W);
    right = Math.max(right, widest(name, 'label'));
    parts.push(lines(PAD, y + 12, name, { class: 'label' }));
    const top = side ? y + 1 : y + name.length * LINE + 2;
    BARS.forEach(([k, cls], j) => {
      const by = top + j * BAR_STEP;
      const v = num(r[k]);
      const len = v ? Math.max(2, Math.round(barW * v / max)) : 0;
      parts.push(svg('rect', { x: PAD + barX, y: by, width: barW, height: BAR_H, class: 'track' }));
      if (v) {
        parts.push(svg('rect', { x: PAD + barX, y: by, width: len, height: BAR_H, class: cls, 'data-need': r.need, 'data-step': k, 'data-value': v },
          svg('title', null, names[i] + ': ' + t('insight.' + k) + ' ' + v)));
      }
      parts.push(svg('text', { x: PAD + barX + len + 4, y: by + BAR_H - 1, class: 'value', 'data-step': k }, valueOf(r, k)));
    });
    const barsEnd = top + BARS.length * BAR_STEP;
    y = Math.max(barsEnd, y + name.length * LINE) + 12;
  });
  const [key, keyH, keyW] = legend(BARS.map(([k, cls]) => [cls, t('insight.' + k)]), y, W);
  right = Math.max(right, keyW);
  return figure(t('insight.funnel') + ': ' + bucketLabel(b), right + 2 * PAD, y + keyH + PAD, 'insight-funnel', ...parts, key);
}

/* ---- the orders ---------------------------------------------------------------- */

/* Each order: how many starters followed it, then its steps as boxes with
 * the weeks between them on the arrows; in a row where the width allows,
 * one below the other otherwise. */
function orders(b) {
  const list = Array.isArray(b.orders) ? b.orders : [];
  if (!list.length) return el('p', { class: 'hint' }, t('insight.noOrders'));
  const max = Math.max(1, ...list.map((o) => num(o.starters)));
  const W = room() - 2 * PAD;
  const steps = list.map((o) => (Array.isArray(o.steps) ? o.steps : []).map((n) => termLabel('need', n)));
  const weeks = list.map((o) => (o.steps || []).slice(1).map((_, s) => (o.weeks || [])[s] === 0 ? t('insight.weeks0') : t('insight.weeks', num((o.weeks || [])[s]))));
  const longest = Math.max(1, ...steps.map((s) => s.length));
  const labelW = widest([].concat(...steps), 'step-label');
  const arrowW = Math.max(48, widest([].concat(...weeks), 'weeks') + 16);
  const across = longest * (labelW + 24) + (longest - 1) * arrowW <= W;
  const boxW = across ? labelW + 24 : Math.min(W, labelW + 24);
  const parts = [svg('defs', null, svg('marker', { id: 'insight-arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 4, markerHeight: 4, orient: 'auto' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' })))];
  let y = PAD, right = 0;
  list.forEach((o, i) => {
    const stroke = 1 + Math.round(3 * num(o.starters) / max);
    const caption = t('insight.starters', num(o.starters));
    parts.push(svg('text', { x: PAD, y: y + 12, class: 'value' }, caption));
    right = Math.max(right, textWidth(caption, 'value'));
    y += LINE + 4;
    const box = (x, top, name) => {
      const text = across ? [name] : wrap(name, 'step-label', boxW - 16);
      const h = 14 + text.length * LINE;
      right = Math.max(right, x - PAD + Math.max(boxW, widest(text, 'step-label') + 16));
      parts.push(svg('rect', { x, y: top, width: boxW, height: h, rx: 6, class: 'step', 'stroke-width': stroke }),
        lines(x + boxW / 2, top + 7 + 13, text, { class: 'step-label', 'text-anchor': 'middle' }));
      return h;
    };
    if (across) {
      const h = 14 + LINE;
      steps[i].forEach((name, s) => {
        const x = PAD + s * (boxW + arrowW);
        if (s) {
          parts.push(svg('line', { x1: x - arrowW + 4, y1: y + h / 2, x2: x - 6, y2: y + h / 2, class: 'arrow', 'stroke-width': stroke, 'marker-end': 'url(#insight-arrow)' }),
            svg('text', { x: x - arrowW / 2, y: y + h / 2 - 8, class: 'weeks', 'text-anchor': 'middle' }, weeks[i][s - 1]));
        }
        box(x, y, name);
      });
      y += h + 18;
    } else {
      steps[i].forEach((name, s) => {
        if (s) {
          parts.push(svg('line', { x1: PAD + 24, y1: y + 2, x2: PAD + 24, y2: y + 30, class: 'arrow', 'stroke-width': stroke, 'marker-end': 'url(#insight-arrow)' }),
            svg('text', { x: PAD + 38, y: y + 21, class: 'weeks' }, weeks[i][s - 1]));
          right = Math.max(right, 38 + textWidth(weeks[i][s - 1], 'weeks'));
          y += 34;
        }
        y += box(PAD, y, name);
      });
      y += 18;
    }
  });
  return figure(t('insight.orders') + ': ' + bucketLabel(b), right + 2 * PAD, y - 18 + PAD + 4, 'insight-orders', ...parts);
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

/* ---- the maps of need × phase ------------------------------------------------------ */

/* A row per need, a column per phase; cell(need, phase) gives each cell's
 * { cls, text, title, data }.  The names of the needs are wrapped to what
 * the columns leave them (120 px at least); the names of the phases are
 * wrapped in their column where it is wide enough for their longest
 * word, and stand upright over narrower columns otherwise. */
function grid(cell) {
  const needs = terms('need').map((x) => x.id), phases = terms('phase').map((x) => x.id);
  const W = room() - 2 * PAD;
  const cells = needs.map((n) => phases.map((p) => cell(n, p)));
  const cellW = Math.max(44, 14 + Math.max(0, ...[].concat(...cells).map((c) => textWidth(c.text, 'cell'))));
  const heads = phases.map((p) => termLabel('phase', p));
  const names = needs.map((n) => termLabel('need', n));
  const nameFull = widest(names, 'label');
  const wordW = Math.max(...heads.map((h) => widest(h.split(/\s+/), 'label')));
  let cw = Math.max(cellW, wordW + 12);
  let upright = false;
  let nameMax = Math.min(nameFull, W - phases.length * cw - 8);
  if (nameMax < Math.min(nameFull, 120)) {
    upright = true;
    cw = cellW;
    nameMax = Math.min(nameFull, Math.max(120, W - phases.length * cw - 8));
  }
  const headLines = heads.map((h) => wrap(h, 'label', upright ? 120 : cw - 10));
  const most = Math.max(...headLines.map((l) => l.length));
  if (upright) cw = Math.max(cw, most * LINE + 8);
  const headH = upright ? Math.max(...headLines.map((l) => widest(l, 'label'))) + 10 : most * LINE + 6;
  const nameLines = names.map((n) => wrap(n, 'label', nameMax));
  const x0 = PAD + Math.max(...nameLines.map((l) => widest(l, 'label'))) + 8;
  const parts = [];
  headLines.forEach((l, j) => {
    const cx = x0 + j * cw + cw / 2;
    if (upright) {
      const bx = Math.round(cx - (l.length - 1) * LINE / 2 + 4.5), by = PAD + headH - 6;
      parts.push(lines(bx, by, l, { class: 'label head', transform: 'rotate(-90 ' + bx + ' ' + by + ')' }));
    } else {
      parts.push(lines(cx, PAD + 12 + (most - l.length) * LINE, l, { class: 'label head', 'text-anchor': 'middle' }));
    }
  });
  let y = PAD + headH;
  needs.forEach((n, i) => {
    const rh = Math.max(26, nameLines[i].length * LINE + 9);
    parts.push(lines(PAD, Math.round(y + (rh - nameLines[i].length * LINE) / 2 + 12), nameLines[i], { class: 'label' }));
    phases.forEach((p, j) => {
      const c = cells[i][j];
      parts.push(svg('rect', Object.assign({ x: x0 + j * cw + 1, y: y + 1, width: cw - 2, height: rh - 2, class: c.cls, 'data-need': n, 'data-phase': p }, c.data),
        svg('title', null, c.title)));
      if (c.text) parts.push(svg('text', { x: x0 + j * cw + cw / 2, y: Math.round(y + rh / 2 + 4), class: 'cell' + (c.dark ? ' dark' : ''), 'text-anchor': 'middle' }, c.text));
    });
    y += rh;
  });
  return [parts, x0 + phases.length * cw + PAD, y + PAD];
}

/* The cells of a gaps answer for sector ('' or null: all), and by
 * "need/phase". */
function cellsOf(gaps, sector) {
  const cells = (Array.isArray(gaps.cells) ? gaps.cells : []).filter((c) => !sector || c.sector === sector);
  return [cells, new Map(cells.map((c) => [c.need + '/' + c.phase, c]))];
}

/* Where starters who agreed to help found nothing (the gaps weighed by
 * demand): the darker, the more; × where no offer answers at all. */
function heatmap(gaps, sector) {
  const [cells, at] = cellsOf(gaps, sector);
  const max = Math.max(1, ...cells.map((c) => num(c.unmet)));
  const [parts, w, h] = grid((n, p) => {
    const c = at.get(n + '/' + p) || { unmet: 0, offers: 0, partners: 0 };
    const u = num(c.unmet);
    const level = u ? 1 + Math.min(HEAT_LEVELS - 2, Math.floor((HEAT_LEVELS - 1) * u / (max + 1))) : 0;
    return {
      cls: 'heat-' + level, dark: level >= 3,
      text: (u ? String(u) : '') + (num(c.offers) === 0 ? (u ? ' ×' : '×') : ''),
      title: t('insight.cell', termLabel('need', n), termLabel('phase', p), u, num(c.offers), num(c.partners)),
      data: { 'data-unmet': u, 'data-offers': num(c.offers), 'data-test': 'heat-cell' },
    };
  });
  return figure(t('insight.gaps'), w, h, 'insight-heatmap', ...parts);
}

const OFFER_KEYS = [['offer-none', 'insight.offerNone'], ['offer-one', 'insight.offerOne'], ['offer-some', 'insight.offerSome']];

/* How many offers answer each need in each phase, from the offers alone
 * (GET /api/v1/gaps, with or without figures from starters): × where
 * none does, lighter where one partner only does. */
function offermap(gaps, sector) {
  const [, at] = cellsOf(gaps, sector);
  const [parts, w, h] = grid((n, p) => {
    const c = at.get(n + '/' + p) || { offers: 0, partners: 0 };
    const o = num(c.offers), pa = num(c.partners);
    return {
      cls: o === 0 ? 'offer-none' : pa <= 1 ? 'offer-one' : 'offer-some', dark: o === 0,
      text: o ? String(o) : '×',
      title: t('insight.offerCell', termLabel('need', n), termLabel('phase', p), o, pa),
      data: { 'data-offers': o, 'data-partners': pa, 'data-test': 'offer-cell' },
    };
  });
  const [key, keyH, keyW] = legend(OFFER_KEYS.map(([cls, k]) => [cls, t(k)]), h + 4, room() - 2 * PAD);
  return figure(t('insight.offers'), Math.max(w, keyW + 2 * PAD), h + 4 + keyH + PAD, 'insight-offermap', ...parts, key);
}

/* A chart wider than its box scrolls sideways in it: then the box takes
 * the focus, so that it scrolls from the keyboard too. */
function scrollable(where) {
  for (const box of where.querySelectorAll('.chart-box')) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute('tabindex', '0');
      box.setAttribute('role', 'group');
      box.setAttribute('aria-label', box.firstChild.getAttribute('aria-label'));
    } else {
      for (const a of ['tabindex', 'role', 'aria-label']) box.removeAttribute(a);
    }
  }
}

/* The map of the offers always (the gaps answer lists every cell, with
 * or without figures from starters); before it, the map weighed by
 * demand once starters sent figures. */
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
  if (gaps.demand) {
    where.append(el('h3', null, t('insight.gaps')), el('p', { class: 'hint' }, t('insight.gapsHint')), heatmap(gaps, view.sector));
  } else {
    where.appendChild(el('p', { class: 'hint', 'data-test': 'insight-gaps-none' }, t('insight.gapsNone')));
  }
  where.append(el('h3', null, t('insight.offers')), el('p', { class: 'hint' }, t('insight.offersHint')), offermap(gaps, view.sector));
  scrollable(where);
}

/* ---- the view ------------------------------------------------------------------- */

function selectOf(id, label, options, value, onChange) {
  const s = el('select', { id, 'data-test': id }, options.map(([v, text]) => el('option', { value: v, selected: String(v) === String(value) ? true : null }, text)));
  s.addEventListener('change', () => onChange(s.value));
  return el('div', { class: 'field' }, el('label', { for: id }, label), s);
}

function releaseName(r) {
  return r.from === 'this node' ? t('insight.thisNode') + (r.week ? ', ' + weekName(r.week) : '')
    : (r.name || r.from) + (r.issued ? ', ' + dateText(r.issued) : '');
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
    el('h2', null, t('insight.funnel')), el('p', { class: 'hint' }, t('insight.funnelHint', r.k || 10)), funnel(b),
    el('h2', null, t('insight.orders')), el('p', { class: 'hint' }, t('insight.ordersHint')), orders(b),
    el('h2', null, t('insight.partners')), partnersList(b, partners));
  scrollable(where);
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
  view.partners = partners;
  view.width = room();
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
  body.append(el('h2', null, t('insight.gapsTitle')),
    selectOf('insight-sector', t('insight.sector'), [['', t('insight.allSectors')]].concat(terms('sector').map((s) => [s.id, termLabel('sector', s.id)])), view.sector,
      (v) => { view.sector = v; drawGaps(route.seq).catch((e) => sayError(e)); }),
    el('div', { id: 'insight-gaps' }));
  return drawGaps(seq);
}

/* A turned phone or a resized window: the charts are laid out again for
 * the new width (a quarter of a second after the last change). */
let resizing = 0, listening = false;
function onResize() {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    const v = $('view-insight');
    if (!view.data || !v || v.hidden || Math.abs(room() - view.width) < 16) return;
    draw(route.seq, view.partners).catch((e) => sayError(e));
  }, 250);
}

export async function showInsight(seq) {
  if (!listening) window.addEventListener('resize', onResize);
  listening = true;
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
