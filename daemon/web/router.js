/*
 * router.js — hash routes (#/plan, #/partner/AUTHOR/ID, …): which view is
 * shown, where the focus goes, and a sequence number that tells a view
 * whose answer came too late (route.seq moved on) to draw nothing.
 */
import { $ } from './dom.js';
import { t } from './i18n.js';
import { say } from './status.js';

const VIEWS = ['home', 'plan', 'events', 'search', 'news', 'partners', 'partner', 'insight', 'missing', 'landing', 'map'];

function parseHash() {
  const h = location.hash.startsWith('#/') ? location.hash : '#/';
  const [path, qs] = h.slice(2).split('?');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch (e) {
    parts = ['?'];
  }
  return { parts, params: new URLSearchParams(qs || '') };
}

function showView(name) {
  for (const v of VIEWS) $('view-' + v).hidden = v !== name;
  for (const a of document.querySelectorAll('#nav a[data-nav]')) {
    const current = a.getAttribute('data-nav') === name || (name === 'partner' && a.getAttribute('data-nav') === 'partners');
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

let firstRoute = true;

/* Where the starter was on each page of this tab's history (its entry's
 * key, kept in history.state): the scroll and the element they left from,
 * restored when Back (or Forward) returns there. */
const places = new Map();
let entry = null;
let entries = 0;
/* keys of this page load only: an entry from before a reload is not known */
const LOAD = String(Math.floor(performance.timeOrigin));
if ('scrollRestoration' in history) history.scrollRestoration = 'manual';

function entryKey() {
  const st = history.state;
  if (st && typeof st === 'object' && typeof st.gildeEntry === 'string' && st.gildeEntry.startsWith(LOAD + '-')) {
    return st.gildeEntry;
  }
  const key = LOAD + '-' + (++entries);
  history.replaceState(Object.assign({}, st && typeof st === 'object' ? st : {}, { gildeEntry: key }), '');
  return key;
}

/* How to find element e again once its view is drawn anew: the nearest
 * ancestor with an id, and e's place among the focusable elements in it. */
function describe(e) {
  if (!e || e === document.body || !e.closest) return null;
  if (e.id) return { id: e.id, n: -1 };
  const box = e.parentElement && e.parentElement.closest('[id]');
  if (!box) return null;
  const all = Array.from(box.querySelectorAll('a, button, input, select, textarea, summary, [tabindex]'));
  return { id: box.id, n: all.indexOf(e) };
}

function findAgain(d) {
  const box = d && document.getElementById(d.id);
  if (!box || d.n < 0) return box;
  return box.querySelectorAll('a, button, input, select, textarea, summary, [tabindex]')[d.n] || null;
}

function leave() {
  if (entry !== null) places.set(entry, { y: window.scrollY, focus: describe(document.activeElement) });
}

function restore(place, work) {
  Promise.resolve(work).catch(() => {}).then(() => requestAnimationFrame(() => {
    window.scrollTo(0, place.y);
    const e = findAgain(place.focus);
    if (e && e.offsetParent !== null) e.focus({ preventScroll: true });
  }));
}

/* name -> { parts: how many path segments follow the name, show(seq,
 * rest, params): draw the view, a promise or nothing }; home has no name. */
let views = {};
const added = {};

export function setViews(table) {
  views = Object.assign({}, table, added);
}

/* A view a module of its own draws (landing.js, map.js), whenever it loads. */
export function addView(name, v) {
  added[name] = v;
  views[name] = v;
}

export function route(opts) {
  opts = opts || {};
  /* "#main" (the skip link) is not a route: stay where we are */
  if (location.hash && !location.hash.startsWith('#/') && !firstRoute) return;
  const seq = ++route.seq;
  leave();
  const left = entry;
  entry = entryKey();
  const back = entry !== left ? places.get(entry) : null;
  /* a message from the last view is stale now, unless it was about this move */
  if (!opts.keepStatus && !route.keepStatusOnce && !firstRoute) say('');
  route.keepStatusOnce = false;
  const { parts, params } = parseHash();
  const [name, ...rest] = parts;
  const v = !name ? views.home
    : name !== 'home' && Object.prototype.hasOwnProperty.call(views, name) ? views[name] : null;
  let view = 'missing';
  let work = null;
  if (v && rest.length === v.parts) {
    view = name || 'home';
    work = v.show(seq, rest, params) || null;
  }
  showView(view);
  if (view !== 'partner') document.title = (view === 'home' ? '' : (t('nav.' + view) || '') + ' – ') + t('doc.title');
  if (view === 'missing') document.title = t('missing.title') + ' – gilde';
  if (back && !firstRoute) {
    /* Back to a page seen before: where the starter was, once it is drawn */
    restore(back, work);
  } else if (!firstRoute && !opts.keepFocus && !route.keepFocusOnce) {
    /* moving focus to the new heading tells a screen reader the page changed */
    const h = document.querySelector('#view-' + view + ' h1');
    if (h) h.focus({ preventScroll: false });
  }
  route.keepFocusOnce = false;
  firstRoute = false;
  return work;
}
route.seq = 0;
route.keepFocusOnce = false;
route.keepStatusOnce = false;

export function go(hash, keepFocus, keepStatus) {
  if (location.hash === hash) {
    route({ keepFocus, keepStatus });
  } else {
    route.keepFocusOnce = !!keepFocus;
    route.keepStatusOnce = !!keepStatus;
    location.hash = hash;
  }
}
