/*
 * plan.js — the to-do list (#/plan): the match answer for the profile kept
 * in this browser, one step per need in the order the to-do paths give,
 * each with the offers that fit, how to reach their partners, and what the
 * starter said (planstate.js: done, the partner chosen, when they asked,
 * notes).  The starter can drop and add steps (the page then sends the
 * chosen "needs"), and save the plan to a file or open one.
 */
import { ApiError, api } from './api.js';
import { openMail } from './ask.js';
import { contactBlock } from './contact.js';
import { termLabel, terms } from './data.js';
import { dateText } from './dates.js';
import { fillForm } from './form.js';
import { $, badge, clear, el, partnerHref } from './dom.js';
import { lang, langNames, t, txt } from './i18n.js';
import { KEYS, store } from './local.js';
import { askAction, descParts, fitDescriptions, offerAgain, offerCard, printContact, sameOffer } from './offer.js';
import {
  PLAN_FILE_MAX, PlanFileError, adoptPlan, chosenOf, forgetState, nowIso, planFile,
  readPlanFile, stepState, updateStep,
} from './planstate.js';
import { insightDrawn, insightStep, nofitButton } from './insight.js';
import { go, route } from './router.js';
import { busy, say, sayChoice, sayError } from './status.js';

const PER_ITEM = 3;           /* offers shown per to-do item until "show more" */
export const MAX_NEEDS = 8;   /* profile.schema.json: needs maxItems */

const plan = { answer: null, profile: null, expanded: new Set(), all: false };

/* The offers drawn in full so far, while the list is drawn: "author/id" ->
 * { step (its number), label, anchor (the id of its card or box) }. */
let shownAt = new Map();

/* A new answer for a new profile (the questionnaire's). */
export function planAnswered(profile, answer) {
  plan.answer = answer;
  plan.profile = profile;
  plan.expanded = new Set();
  plan.all = false;
}

/* The profile becomes the starter's once the node answered it: saved, its
 * list kept and opened (the questionnaire's and a readiness report's way
 * in); throws what runMatch throws, and then nothing is saved. */
export async function startList(profile) {
  const answer = await runMatch(profile, false);
  store.set(KEYS.profile, profile);
  planAnswered(profile, answer);
  say(t('plan.ready', (answer.items || []).length));
  go('#/plan', false, true);
  return answer;
}

export function savedProfile() {
  const p = store.get(KEYS.profile, null);
  return p && typeof p === 'object' && !Array.isArray(p) ? p : null;
}

export function runMatch(profile, all) {
  return api('api/v1/match' + (all ? '?per_item=0' : ''), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(profile),
  });
}

function profileSummary(p) {
  const bits = [];
  if (p.phase) bits.push(t('p.phase') + ': ' + termLabel('phase', p.phase));
  if (p.activity) bits.push(termLabel('activity', p.activity));
  for (const s of p.sectors || []) bits.push(termLabel('sector', s));
  if (p.side_activity === true) bits.push(t('p.side'));
  if (p.student === true) bits.push(p.school ? t('p.studentAt', termLabel('school', p.school)) : t('p.student'));
  if (p.international === true) bits.push(t('p.international'));
  if (p.research === true) bits.push(t('p.research'));
  if (p.takeover === true) bits.push(t('p.takeover'));
  if (p.bank_refused === true) bits.push(t('p.bankRefused'));
  if (p.jobseeker === true) bits.push(t('p.jobseeker'));
  if (p.prototype === true) bits.push(t('p.prototype'));
  if (p.staff_from_abroad === true) bits.push(t('p.staff'));
  if (p.experienced === true) bits.push(t('p.experienced'));
  /* "0 years old" read oddly for a restart: 0 and 1 have words of their own */
  const count = (key, n) => t(n === 0 ? key + '0' : n === 1 ? key + '1' : key, n);
  if (Number.isInteger(p.employees)) bits.push(count('p.employees', p.employees));
  if (Number.isInteger(p.company_age)) bits.push(count('p.age', p.company_age));
  if (p.premises) bits.push(t('p.premises.' + p.premises));
  if (p.area) bits.push(termLabel('area', p.area));
  if (Array.isArray(p.languages) && p.languages.length) bits.push(t('p.speaks', langNames(p.languages)));
  return t('plan.basedOn', bits.join(', '));
}

export async function showPlan(seq) {
  $('plan-empty').hidden = true;
  $('plan-body').hidden = true;
  $('plan-retry').hidden = true;
  if (!plan.profile) plan.profile = savedProfile();
  if (!plan.profile) {
    plan.answer = null;
    $('plan-empty').hidden = false;
    return;
  }
  /* the answer is per language (labels, ranking): ask again after a switch */
  if (plan.profile.lang !== lang) {
    plan.profile = Object.assign({}, plan.profile, { lang });
    store.set(KEYS.profile, plan.profile);
    plan.answer = null;
  }
  busy(true);
  try {
    const wantAll = plan.expanded.size > 0;
    const answer = plan.answer && (!wantAll || plan.all) ? plan.answer : await runMatch(plan.profile, wantAll);
    if (seq !== route.seq) return;
    plan.answer = answer;
    plan.all = wantAll;
    busy(false);
    drawPlan();
  } catch (e) {
    if (seq !== route.seq) return;
    sayError(e);
    /* a saved profile the node refuses (400) has to be answered again;
     * anything else may pass: offer to try again */
    if (e instanceof ApiError && e.status === 400) $('plan-empty').hidden = false;
    else $('plan-retry').hidden = false;
  }
}

/* ---- the steps ------------------------------------------------------------- */

function needs() {
  return ((plan.answer && plan.answer.items) || []).map((it) => String(it.need));
}

function itemLabel(item) {
  const need = String(item.need);
  return termLabel('need', need) !== need ? termLabel('need', need) : txt(item.label) || need;
}

/* Redraw after the click that asked has done its work (a link still opens). */
function later(fn) {
  setTimeout(fn, 0);
}

function focusLater(id) {
  later(() => {
    const e = $(id);
    if (e) {
      if (!e.hasAttribute('tabindex')) e.setAttribute('tabindex', '-1');
      e.focus();
    }
  });
}

function choose(need, o) {
  updateStep(need, (st) => {
    if (!sameOffer(st.chosen, o)) st.chosen = chosenOf(o);
  });
  insightStep('chosen', need, o);
  say(t('plan.chosen', txt(o.partner) || txt(o.name)));
  later(drawPlan);
  focusLater('chosen-' + need);
}

function asked(need, o) {
  updateStep(need, (st) => {
    if (!sameOffer(st.chosen, o)) st.chosen = chosenOf(o);
    st.chosen.asked_at = nowIso();
  });
  say(t('plan.asked', txt(o.partner) || txt(o.name)));
  later(drawPlan);
  focusLater('chosen-' + need);
}

function ask(item, o, way) {
  const need = String(item.need);
  /* opening the mail program sends nothing: the starter says whether they sent it */
  if (way.kind === 'mail') {
    openMail(o, itemLabel(item), plan.profile, () => sayChoice(t('ask.sent', txt(o.partner) || txt(o.name)), [
      { label: t('ask.sentYes'), test: 'sent-yes', primary: true, fn: () => asked(need, o) },
      { label: t('ask.sentNo'), test: 'sent-no', fn: () => {} },
    ]));
  }
  else asked(need, o);
}

/* The partner chosen for a step: who, when chosen and asked, what the
 * offer is, how to reach them, and asking them while that is not done. */
function chosenBox(item, c) {
  const need = String(item.need);
  const name = txt(c.name) || c.id;
  const when = [t('plan.chosenOn', dateText(c.chosen_at))];
  if (c.asked_at) when.push(t('plan.askedOn', dateText(c.asked_at)));
  const markAsked = c.asked_at ? null : el('button', { type: 'button', class: 'link', 'data-test': 'mark-asked' }, t('plan.markAsked'));
  if (markAsked) markAsked.addEventListener('click', () => asked(need, c));
  const undo = el('button', { type: 'button', class: 'link', 'data-test': 'unchoose' }, t('plan.unchoose'));
  undo.addEventListener('click', () => {
    updateStep(need, (st) => { st.chosen = undefined; });
    later(drawPlan);
    focusLater('todo-head-' + need);
  });
  const askIt = c.asked_at ? null : askAction(c, (o, way) => ask(item, o, way));
  const desc = descParts(c, name, 'chosen-desc-' + need);
  return el('div', { class: 'chosen-box', 'data-test': 'chosen', 'data-offer': c.id, 'data-author': c.author },
    el('h3', { id: 'chosen-' + need, class: 'chosen-title', tabindex: '-1' }, t('plan.youChose', name),
      c.partner ? ' — ' + c.partner : ''),
    el('p', { class: 'when', 'data-test': 'chosen-when' }, when.join(' · ')),
    (desc ? [desc.body, desc.toggle] : null),
    contactBlock(c.contact, null, null, name), printContact(c.contact, c.url),
    askIt ? el('div', { class: 'offer-actions' }, askIt) : null,
    el('p', { class: 'chosen-actions' }, markAsked, undo));
}

/* The chosen offer as the answer names it now (in the page's language,
 * with its current contact), when the answer still lists it. */
function freshChosen(item, c) {
  const all = [].concat(Array.isArray(item.offers) ? item.offers : [], Array.isArray(item.later) ? item.later : []);
  const o = all.find((x) => sameOffer(x, c));
  if (!o) return c;
  return Object.assign({}, c, {
    name: txt(o.name) || c.name,
    partner: txt(o.partner) || c.partner,
    contact: o.contact && typeof o.contact === 'object' ? o.contact : c.contact,
    description: o.description,
    url: o.url,
  });
}

function notesBox(need, notes, label) {
  const id = 'notes-' + need;
  const area = el('textarea', { id, rows: 3, maxlength: 4000, 'data-test': 'notes', 'data-need': need });
  area.value = notes || '';
  area.addEventListener('input', () => updateStep(need, (st) => { st.notes = area.value; }));
  return el('details', { class: 'notes', open: notes ? true : null },
    el('summary', null, t('plan.notes'), el('span', { class: 'vh' }, ': ' + label)),
    el('label', { for: id, class: 'vh' }, t('plan.notesLabel')), area);
}

function moreButton(need, more, label) {
  /* named with its step, so that a screen reader's list of buttons tells them apart */
  const btn = el('button', {
    type: 'button', class: 'secondary more', 'data-need': need, 'aria-expanded': 'false',
    'aria-label': t('plan.moreLabel', more, label),
  }, t('plan.more', more));
  btn.addEventListener('click', () => {
    plan.expanded.add(need);
    showPlan(route.seq).then(() => {
      const li = document.querySelector('.todo-item[data-need="' + CSS.escape(need) + '"] .offers li:nth-child(' + (PER_ITEM + 1) + ')');
      const first = li && (li.querySelector('h3') || li.querySelector('button'));
      if (first) {
        first.setAttribute('tabindex', '-1');
        first.focus();
      }
    });
  });
  return btn;
}

/* "Show fewer" on a step opened with "Show N more": folds it back to its
 * first offers (a phone's page had doubled, with no way back) and takes
 * the starter to the step's heading. */
function fewerButton(need, label) {
  const btn = el('button', {
    type: 'button', class: 'secondary fewer', 'data-test': 'fewer', 'data-need': need, 'aria-expanded': 'true',
    'aria-label': t('plan.fewerLabel', label),
  }, t('plan.fewer'));
  btn.addEventListener('click', () => {
    plan.expanded.delete(need);
    later(() => {
      drawPlan();
      toHead(need);
    });
  });
  return btn;
}

/* Focus the heading of need's step, scrolled to the top of the screen. */
function toHead(need) {
  const h = $('todo-head-' + need);
  if (!h) return;
  h.scrollIntoView({ block: 'start' });
  h.focus({ preventScroll: true });
}

function stepHead(item, i, st, label) {
  const need = String(item.need);
  const tickId = 'tick-' + need;
  const headId = 'todo-head-' + need;
  const doneId = 'todo-done-' + i;
  const box = el('input', {
    type: 'checkbox', id: tickId, class: 'tick', 'data-test': 'tick', 'data-need': need,
    'aria-labelledby': doneId + ' ' + headId + '-t',
  });
  box.checked = st.done === true;
  /* the box is named "Done: <need>" (aria-labelledby may point at a hidden
   * element); the heading stays just the need */
  return el('div', { class: 'todo-head' },
    el('span', { id: doneId, hidden: true }, t('plan.tick')),
    box,
    el('h2', { id: headId, class: 'todo-title', tabindex: '-1' },
      el('label', { for: tickId }, (i + 1) + '. ', el('span', { id: headId + '-t' }, label))),
    badge(t('plan.doneBadge'), 'done-badge'),
    st.done && st.done_at ? el('span', { class: 'done-when', 'data-test': 'done-when' }, t('plan.doneOn', dateText(st.done_at))) : null);
}

/* "Remove this step", unless it is the only one. */
function dropButton(need, label, count) {
  if (count < 2) return null;
  const drop = el('button', {
    type: 'button', class: 'link drop', 'data-test': 'drop', 'data-need': need, 'aria-label': t('plan.dropLabel', label),
  }, t('plan.drop'));
  drop.addEventListener('click', () => dropStep(need, label));
  return drop;
}

/* How long "Undo" stays offered after a step is removed. */
const UNDO_MS = 8000;

/* Remove need's step: the starter stays where they were, at the step
 * that takes its place (the one before, for the last), told which step
 * went, with "Undo" for a moment (before, the page went to its top and
 * said nothing). */
function dropStep(need, label) {
  const before = needs();
  const was = plan.profile && Array.isArray(plan.profile.needs) ? plan.profile.needs.slice() : null;
  const at = before.indexOf(need);
  const after = before.filter((n) => n !== need);
  /* the city hears of it once "Undo" has passed, and not if it was used */
  let undone = false;
  setTimeout(() => { if (!undone) insightStep('dropped', need); }, UNDO_MS);
  setNeeds(after, () => {
    const now = needs();
    return now.length ? now[Math.min(at, now.length - 1)] : null;
  }).then((ok) => {
    if (!ok) return;
    sayChoice(t('plan.dropped', label), [{
      label: t('plan.undo'), test: 'undo', fn: () => {
        undone = true;
        /* the list as it was (the paths' own, if it was theirs), unless
         * it changed since: then the step goes back where the paths put it */
        const same = needs().join(' ') === after.join(' ');
        setNeeds(same ? was : needs().concat([need]), need).then((back) => {
          if (back) say(t('plan.undone', label));
        });
      },
    }], { lasts: UNDO_MS, keepFocus: true });
  });
}

/* A text with {0}, {1} … replaced by the nodes given (links). */
function withNodes(text, ...nodes) {
  return text.split(/(\{\d+\})/).map((part) => {
    const m = /^\{(\d+)\}$/.exec(part);
    return m && nodes[Number(m[1])] ? nodes[Number(m[1])] : part;
  });
}

/* No offer fits: say whom to ask (the node's desk, by name and linked,
 * when the answer names one: API.md), with a search for the need. */
function noOffers(label) {
  const search = el('a', { href: '#/search?' + new URLSearchParams({ q: label }).toString(), 'data-test': 'no-offers-search' },
    t('plan.noOffersSearch'));
  const d = plan.answer && plan.answer.desk;
  const desk = d && typeof d.author === 'string' && typeof d.id === 'string' && typeof d.name === 'string'
    ? el('a', { href: partnerHref(d.author, d.id), 'data-test': 'no-offers-desk' }, d.name)
    : t('plan.noOffersDesk');
  return el('p', { class: 'no-offers', 'data-test': 'no-offers' }, withNodes(t('plan.noOffers'), desk, search));
}

/* Take the starter to where an offer is shown in full. */
function goTo(anchor) {
  const target = $(anchor);
  if (!target) return;
  const h = target.matches('h3') ? target : target.querySelector('h3') || target;
  if (!h.hasAttribute('tabindex')) h.setAttribute('tabindex', '-1');
  h.scrollIntoView({ block: 'start' });
  h.focus({ preventScroll: true });
}

function offerKey(o) {
  return o.author + '/' + o.id;
}

/* Item i's offers: the chosen one left out (its box shows it), the
 * first PER_ITEM not shown before in full (all of them once "Show N
 * more" is pressed), then, compact, a line for each one shown in full at
 * an earlier step that points there. */
function offerList(item, i, label, st, ctx) {
  const need = String(item.need);
  const all = (Array.isArray(item.offers) ? item.offers : []).filter((o) => !sameOffer(st.chosen, o));
  const expanded = plan.expanded.has(need);
  const cards = [];
  const again = [];
  let seenTo = 0;
  for (const o of all) {
    if (!expanded && cards.length === PER_ITEM) break;
    seenTo += 1;
    const seen = shownAt.get(offerKey(o));
    if (seen) {
      again.push(offerAgain(o, seen.step, seen.label, () => goTo(seen.anchor)));
      continue;
    }
    const anchor = 'offer-' + i + '-' + cards.length;
    shownAt.set(offerKey(o), { step: i + 1, label, anchor });
    /* on paper every offer says how to reach it (the first's only left
     * VLAIO's phone and Gentrepreneur's e-mail off the page) */
    cards.push(offerCard(o, Object.assign({ anchor, printContact: true }, ctx)));
  }
  const more = (Number(item.more) || 0) + (all.length - seenTo);
  return { cards, again, more, expanded, none: seenTo === 0 && !st.chosen };
}

function stepItem(item, i, count) {
  const need = String(item.need);
  const st = stepState(need);
  const label = itemLabel(item);
  const li = el('li', { class: 'todo-item', 'data-need': need, 'data-test': 'todo-item' });
  li.classList.toggle('done', st.done === true);
  li.appendChild(stepHead(item, i, st, label));
  if (st.chosen) {
    const c = freshChosen(item, st.chosen);
    li.appendChild(chosenBox(item, c));
    if (!shownAt.has(offerKey(c))) shownAt.set(offerKey(c), { step: i + 1, label, anchor: 'chosen-' + need });
  }
  const textLang = plan.answer && plan.answer.profile && plan.answer.profile.lang;
  const ctx = {
    chosen: st.chosen || null, choose: (o) => choose(need, o), ask: (o, way) => ask(item, o, way), textLang,
    profile: plan.profile,
  };
  const list = offerList(item, i, label, st, ctx);
  if (list.none) li.appendChild(noOffers(label));
  else {
    if (list.cards.length) li.appendChild(el('ul', { class: 'offers' }, list.cards));
    if (list.again.length) li.appendChild(el('ul', { class: 'offers-again', 'data-test': 'offers-again' }, list.again));
  }
  const nofit = nofitButton(need);
  if (nofit) li.appendChild(el('p', { class: 'step-actions' }, nofit));
  const more = list.more;
  if (more > 0 && !list.expanded) li.appendChild(moreButton(need, more, label));
  /* "all" is 100 at most (proto/API.md): say that a large directory holds more */
  if (more > 0 && list.expanded) li.appendChild(el('p', { class: 'hint', 'data-test': 'more-unshown' }, t('plan.moreUnshown', more)));
  if (list.expanded) li.appendChild(fewerButton(need, label));
  const ahead = Array.isArray(item.later) ? item.later : [];
  const lctx = Object.assign({}, ctx, { later: true });
  const laterBox = ahead.length ? el('details', { class: 'later', 'data-test': 'later' },
    el('summary', null, t('plan.later', ahead.length), el('span', { class: 'vh' }, ': ' + label)),
    el('p', { class: 'hint' }, t('plan.laterHint')),
    el('ul', { class: 'offers' }, ahead.map((o) => offerCard(o, lctx)))) : null;
  /* the step's own foldings and "Remove this step", on one row while closed */
  li.appendChild(el('div', { class: 'step-foot' }, laterBox, notesBox(need, st.notes, label), dropButton(need, label, count)));
  return li;
}

function drawPaths(answer) {
  const custom = answer.needs_from === 'profile';
  const paths = Array.isArray(answer.paths) ? answer.paths.map((p) => txt(p.label)).filter(Boolean) : [];
  /* "add one" takes the starter to the form at the list's foot (a student
   * looked for it 8,600 px down: fourth phone trial) */
  const jump = el('button', { type: 'button', class: 'link', 'data-test': 'add-jump' }, t('plan.addJump'));
  jump.addEventListener('click', () => {
    $('add-need').scrollIntoView({ block: 'center' });
    $('add-need').focus({ preventScroll: true });
  });
  clear($('plan-paths'));
  if (!custom) {
    for (const part of withNodes(paths.length ? t('plan.paths', paths.join(', ')) : t('plan.pathsNone'), null, jump)) {
      $('plan-paths').append(part);
    }
  }
  $('plan-paths').hidden = custom;
  $('plan-custom').hidden = !custom;
}

function drawAdd() {
  const have = needs();
  const select = clear($('add-need'));
  select.appendChild(el('option', { value: '' }, t('plan.addChoose')));
  let shown = null; /* the last broad need listed: its narrower ones follow it, dashed */
  for (const term of terms('need')) {
    if (!term.parent) shown = have.includes(term.id) ? null : term.id;
    if (have.includes(term.id)) continue;
    const label = termLabel('need', term.id);
    const text = !term.parent ? label : term.parent === shown ? '– ' + label
      : termLabel('need', term.parent) + ': ' + label;
    select.appendChild(el('option', { value: term.id }, text));
  }
  const full = have.length >= MAX_NEEDS;
  select.disabled = full;
  $('add-button').disabled = full;
  $('add-hint').textContent = full ? t('plan.addFull', MAX_NEEDS) : '';
  $('add-hint').hidden = !full;
}

function drawPlan() {
  if (!plan.answer || !plan.profile) return;
  const items = plan.answer.items || [];
  $('plan-profile').textContent = profileSummary(plan.profile);
  /* on a phone it shows two lines (style.css); a tap shows it whole (a
   * screen reader reads it whole either way) */
  $('plan-profile').onclick = () => $('plan-profile').classList.toggle('open');
  drawPaths(plan.answer);
  const list = clear($('todo'));
  shownAt = new Map();
  items.forEach((item, i) => list.appendChild(stepItem(item, i, items.length)));
  shownAt = new Map();
  requestAnimationFrame(() => fitDescriptions(list));
  drawAdd();
  updateProgress();
  $('plan-body').hidden = false;
  insightDrawn(plan.profile, plan.answer);
}

function updateProgress() {
  const boxes = Array.from(document.querySelectorAll('#todo .tick'));
  const done = boxes.filter((b) => b.checked).length;
  $('plan-progress').textContent = boxes.length ? t('plan.progress', done, boxes.length) : '';
}

export function onTick(ev) {
  const box = ev.target;
  if (!box.classList || !box.classList.contains('tick')) return;
  const need = box.getAttribute('data-need');
  updateStep(need, (st) => {
    st.done = box.checked;
    st.done_at = box.checked ? nowIso() : undefined;
  });
  if (box.checked) insightStep('done', need);
  const li = box.closest('.todo-item');
  if (li) li.classList.toggle('done', box.checked);
  updateProgress();
}

/* ---- choosing the steps ---------------------------------------------------- */

/* The steps become list (null: the ones the paths propose); match again,
 * then take the starter to step (a need, or a function that gives one
 * once the list is drawn), else to the list's progress.  Resolves to
 * whether the list was drawn. */
function setNeeds(list, step) {
  const p = Object.assign({}, plan.profile);
  if (list && list.length) p.needs = list;
  else delete p.needs;
  plan.profile = p;
  store.set(KEYS.profile, p);
  plan.answer = null;
  plan.expanded = new Set();
  const seq = route.seq;
  return showPlan(seq).then(() => {
    if (seq !== route.seq || !plan.answer) return false;
    const need = typeof step === 'function' ? step() : step;
    if (need) later(() => toHead(need));
    else focusLater('plan-progress');
    return true;
  });
}

export function onAddStep(ev) {
  ev.preventDefault();
  const need = $('add-need').value;
  if (!need || needs().includes(need)) {
    $('add-need').focus();
    return;
  }
  /* to the new step, where the paths' order put it (the third phone trial
   * was left at the top, the loan it added 8,000 px below) */
  setNeeds(needs().concat([need]), need);
  say(t('plan.added', termLabel('need', need)));
}

export function onProposed() {
  setNeeds(null);
}

/* ---- the plan as a file ------------------------------------------------------ */

export function onExport() {
  if (!plan.answer || !plan.profile) return;
  const doc = planFile(plan.profile, plan.answer, lang);
  const blob = new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: 'gilde-plan-' + nowIso().slice(0, 10) + '.json', hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  say(t('plan.exported'));
}

export async function onImport(ev) {
  const input = ev.target;
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return;
  try {
    if (file.size > PLAN_FILE_MAX) throw new PlanFileError('file.tooBig');
    const read = readPlanFile(await file.text(), terms('need').map((x) => x.id));
    const profile = Object.assign({}, read.profile, { lang });
    /* the node checks the profile; the state is taken only if it does */
    const answer = await runMatch(profile, false);
    adoptPlan(read);
    store.set(KEYS.profile, profile);
    planAnswered(profile, answer);
    const done = Object.values(read.items).filter((s) => s.done).length;
    say(t('plan.opened', read.order.length, done));
    go('#/plan', false, true);
  } catch (e) {
    if (e instanceof PlanFileError) say(t('file.refused') + '\n' + t(e.key) + (e.where ? ' (' + e.where + ')' : ''), true);
    else sayError(e, t('file.refused'));
  }
}

export function forgetPlan() {
  if (!window.confirm(t('plan.forgetConfirm'))) return;
  store.remove(KEYS.profile);
  forgetState();
  plan.answer = null;
  plan.profile = null;
  plan.expanded = new Set();
  fillForm(null);
  say(t('plan.forgotten'));
  go('#/', false, true);
}
