/*
 * planstate.js — what the starter says about each step of their list,
 * kept in this browser (localStorage "gilde.plan"): done and when, the
 * offer (partner) chosen and when they asked it for an appointment, and
 * notes.  Kept by need, so that a step dropped and added again, or a list
 * matched again, finds its state.  Nothing of it is ever sent to the node.
 *
 * The plan file (schemas/plan.schema.json, schemas/README.md) is this
 * state with the profile and the list's steps: the page saves it and
 * opens it, and `gilde plan` keeps its plan in the same format.
 */
import { KEYS, store } from './local.js';
import { adoptInsight, insightForFile } from './insight.js';

export const PLAN_FORMAT = 'gilde-plan';
export const PLAN_VERSION = 2;
export const PLAN_FILE_MAX = 4 * 1024 * 1024; /* client/planfile.h: PLANFILE_MAX */
const ITEMS_MAX = 32;                         /* plan.schema.json: items maxItems */
const NOTES_MAX = 4000;                       /* plan.schema.json: notes maxLength */
const KEY_RE = /^ed25519:[A-Za-z0-9_-]{43}$/;
const SLUG_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TIME_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$/;

/* Now as the plan file writes times: RFC 3339, whole seconds, UTC. */
export function nowIso() {
  return new Date().toISOString().replace(/\.[0-9]+Z$/, 'Z');
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/* The state, from this browser; the ticks of earlier versions ("gilde.ticks",
 * { need: true }) become done steps. */
export function loadState() {
  let s = store.get(KEYS.plan, null);
  if (!isObject(s) || !isObject(s.items)) {
    s = { created: nowIso(), items: {} };
    const ticks = store.get(KEYS.ticks, null);
    if (isObject(ticks)) {
      for (const [need, done] of Object.entries(ticks)) if (done === true) s.items[need] = { done: true };
      store.set(KEYS.plan, s);
      store.remove(KEYS.ticks);
    }
  }
  return s;
}

/* What the starter said about need: { done, done_at, chosen, notes } (a copy). */
export function stepState(need) {
  const st = loadState().items[need];
  return isObject(st) ? JSON.parse(JSON.stringify(st)) : {};
}

/* Change need's state with fn(state) and keep it; an empty state is dropped. */
export function updateStep(need, fn) {
  const s = loadState();
  const st = isObject(s.items[need]) ? s.items[need] : {};
  fn(st);
  for (const k of Object.keys(st)) if (st[k] === undefined || st[k] === null || st[k] === false || st[k] === '') delete st[k];
  if (Object.keys(st).length) s.items[need] = st;
  else delete s.items[need];
  store.set(KEYS.plan, s);
  return st;
}

export function forgetState() {
  store.remove(KEYS.plan);
  store.remove(KEYS.ticks);
}

/* ---- the plan file ---------------------------------------------------------- */

function put(obj, key, v) {
  if (v !== undefined && v !== null && v !== '') obj[key] = v;
}

/* What "chosen" records of a match offer o, chosen now. */
export function chosenOf(o) {
  const c = {};
  for (const k of ['author', 'id', 'name', 'partner', 'partner_id']) put(c, k, typeof o[k] === 'string' ? o[k] : null);
  if (isObject(o.contact)) c.contact = o.contact;
  c.chosen_at = nowIso();
  return c;
}

/* The plan file for profile and the list the node answered (its items in
 * order), in lang. */
export function planFile(profile, answer, lang) {
  const s = loadState();
  const items = ((answer && answer.items) || []).map((it) => {
    const st = isObject(s.items[it.need]) ? s.items[it.need] : {};
    const out = { need: it.need };
    put(out, 'label', typeof it.label === 'string' ? it.label : null);
    out.done = st.done === true;
    if (out.done) put(out, 'done_at', st.done_at);
    if (isObject(st.chosen)) out.chosen = st.chosen;
    put(out, 'notes', st.notes);
    return out;
  });
  const doc = {
    format: PLAN_FORMAT, version: PLAN_VERSION, lang, profile,
    created: s.created || nowIso(), updated: nowIso(), items,
  };
  const insight = insightForFile(); /* the answer to "help the city?", if given */
  if (insight) doc.insight = insight;
  return doc;
}

/* A problem with a plan file, said to the starter (the key's text in words.js). */
export class PlanFileError extends Error {
  constructor(key, where) {
    super(key);
    this.key = key;
    this.where = where || '';
  }
}

function bad(key, where) {
  throw new PlanFileError(key, where);
}

function checkTime(v, where) {
  if (v !== undefined && (typeof v !== 'string' || !TIME_RE.test(v) || isNaN(new Date(v).getTime()))) bad('file.badTime', where);
}

function checkChosen(c, where) {
  if (!isObject(c)) bad('file.badChosen', where);
  if (typeof c.author !== 'string' || !KEY_RE.test(c.author) || typeof c.id !== 'string' || !SLUG_RE.test(c.id)) {
    bad('file.badChosen', where);
  }
  for (const k of ['name', 'partner', 'partner_id']) {
    if (c[k] !== undefined && (typeof c[k] !== 'string' || !c[k] || c[k].length > 300)) bad('file.badChosen', where + '/' + k);
  }
  if (c.contact !== undefined && !isObject(c.contact)) bad('file.badChosen', where + '/contact');
  checkTime(c.chosen_at, where + '/chosen_at');
  checkTime(c.asked_at, where + '/asked_at');
}

/*
 * Read a plan file's text: { profile, created, items: { need: state },
 * order: [need …] }, or a PlanFileError.  needIds: the taxonomy's needs.
 * The profile is checked by the node when the list is made (a 400 says
 * what is wrong); the rest here, as plan.schema.json says.
 */
export function readPlanFile(text, needIds) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    bad('file.notJson');
  }
  if (!isObject(doc) || doc.format !== PLAN_FORMAT) bad('file.notPlan');
  if (doc.version !== PLAN_VERSION) bad('file.version');
  if (!isObject(doc.profile) || typeof doc.profile.phase !== 'string') bad('file.profile', '/profile');
  if (!Array.isArray(doc.items) || doc.items.length > ITEMS_MAX) bad('file.items', '/items');
  checkTime(doc.created, '/created');
  const items = {};
  const order = [];
  doc.items.forEach((it, i) => {
    const where = '/items/' + i;
    if (!isObject(it) || typeof it.need !== 'string' || !needIds.includes(it.need)) bad('file.need', where + '/need');
    if (items[it.need]) bad('file.twice', where + '/need');
    if (typeof it.done !== 'boolean') bad('file.done', where + '/done');
    checkTime(it.done_at, where + '/done_at');
    if (it.chosen !== undefined) checkChosen(it.chosen, where + '/chosen');
    if (it.notes !== undefined && (typeof it.notes !== 'string' || it.notes.length > NOTES_MAX)) bad('file.notes', where + '/notes');
    const st = {};
    if (it.done) {
      st.done = true;
      put(st, 'done_at', it.done_at);
    }
    if (it.chosen) st.chosen = it.chosen;
    put(st, 'notes', it.notes);
    items[it.need] = st;
    order.push(it.need);
  });
  return { profile: doc.profile, created: doc.created, items, order, insight: doc.insight };
}

/* Make the state of a plan file (readPlanFile's) this browser's. */
export function adoptPlan(read) {
  store.set(KEYS.plan, { created: read.created || nowIso(), items: read.items });
  store.remove(KEYS.ticks);
  adoptInsight(read.insight);
}
