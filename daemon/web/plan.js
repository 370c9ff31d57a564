/*
 * plan.js — the to-do list (#/plan): the match answer for the profile kept
 * in this browser, one item per need, with ticks that never leave it.
 */
import { ApiError, api } from './api.js';
import { termLabel } from './data.js';
import { $, badge, clear, el, extLink, mailLink, partnerHref, phoneLink, recText, safeUrl } from './dom.js';
import { has, lang, langNames, t, txt } from './i18n.js';
import { KEYS, store } from './local.js';
import { go, route } from './router.js';
import { busy, say, sayError } from './status.js';

const PER_ITEM = 5;           /* offers shown per to-do item until "show more" */

const plan = { answer: null, profile: null, expanded: new Set(), all: false };

/* A new answer for a new profile (the questionnaire's). */
export function planAnswered(profile, answer) {
  plan.answer = answer;
  plan.profile = profile;
  plan.expanded = new Set();
  plan.all = false;
}

export function runMatch(profile, all) {
  return api('api/v1/match' + (all ? '?per_item=0' : ''), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(profile),
  });
}

function loadTicks() {
  const v = store.get(KEYS.ticks, {});
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function setTick(need, done) {
  const ticks = loadTicks();
  if (done) ticks[need] = true;
  else delete ticks[need];
  store.set(KEYS.ticks, ticks);
}

function profileSummary(p) {
  const bits = [];
  if (p.phase) bits.push(t('p.phase') + ': ' + termLabel('phase', p.phase));
  for (const s of p.sectors || []) bits.push(termLabel('sector', s));
  if (p.activity) bits.push(termLabel('activity', p.activity));
  if (p.student === true) bits.push(t('p.student'));
  if (p.international === true) bits.push(t('p.international'));
  if (p.area) bits.push(termLabel('area', p.area));
  if (Number.isInteger(p.company_age)) bits.push(t('p.age', p.company_age));
  return t('plan.basedOn', bits.join(', '));
}


/* An offer as the match gives it: name, partner and partner_id in the
 * answer's language, so nothing else needs fetching. */
function offerCard(o) {
  const partnerName = txt(o.partner);
  const partnerId = typeof o.partner_id === 'string' && o.partner_id ? o.partner_id : null;
  const meta = el('p', { class: 'meta' },
    o.free ? badge(t('offer.free'), 'free') : null,
    has('offer.fit.' + o.answers) ? el('span', { class: 'fit' }, t('offer.fit.' + o.answers)) : null);
  const contact = el('ul', { class: 'contact' },
    o.url && safeUrl(o.url) ? el('li', null, extLink(o.url, t('offer.website'), { 'data-test': 'offer-url' }, txt(o.name))) : null,
    mailLink(o.email) ? el('li', null, t('offer.email') + ': ', mailLink(o.email)) : null,
    phoneLink(o.phone) ? el('li', null, t('offer.phone') + ': ', phoneLink(o.phone)) : null);
  let by = null;
  if (partnerName) {
    by = el('p', { class: 'by' }, t('offer.by') + ' ',
      partnerId ? el('a', { href: partnerHref(o.author, partnerId), 'data-test': 'partner-link' }, partnerName)
        : partnerName);
  }
  const langs = Array.isArray(o.languages) && o.languages.length && !o.languages.includes(lang)
    ? el('p', { class: 'langs' }, t('offer.languages', langNames(o.languages))) : null;
  return el('li', { class: 'offer', 'data-test': 'offer', 'data-offer': o.id },
    recText('h3', { class: 'offer-name' }, o.name), by, meta.childNodes.length ? meta : null, langs,
    contact.childNodes.length ? contact : null);
}

export async function showPlan(seq) {
  $('plan-empty').hidden = true;
  $('plan-body').hidden = true;
  $('plan-retry').hidden = true;
  const saved = store.get(KEYS.profile, null);
  if (!plan.profile && saved && typeof saved === 'object') plan.profile = saved;
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

function drawPlan() {
  const items = (plan.answer && plan.answer.items) || [];
  const ticks = loadTicks();
  $('plan-profile').textContent = profileSummary(plan.profile);
  const list = clear($('todo'));
  items.forEach((item, i) => {
    const need = String(item.need);
    const tickId = 'tick-' + need;
    const headId = 'todo-head-' + need;
    const doneId = 'todo-done-' + i;
    const box = el('input', {
      type: 'checkbox', id: tickId, class: 'tick', 'data-test': 'tick', 'data-need': need,
      'aria-labelledby': doneId + ' ' + headId + '-t',
    });
    box.checked = ticks[need] === true;
    const li = el('li', { class: 'todo-item', 'data-need': need, 'data-test': 'todo-item' });
    li.classList.toggle('done', box.checked);
    const label = termLabel('need', need) !== need ? termLabel('need', need) : txt(item.label) || need;
    /* the box is named "Done: <need>" (aria-labelledby may point at a hidden
     * element); the heading stays just the need */
    const head = el('div', { class: 'todo-head' },
      el('span', { id: doneId, hidden: true }, t('plan.tick')),
      box,
      el('h2', { id: headId, class: 'todo-title' },
        el('label', { for: tickId }, el('span', { id: headId + '-t' }, label))),
      badge(t('plan.doneBadge'), 'done-badge'));
    li.appendChild(head);
    const all = Array.isArray(item.offers) ? item.offers : [];
    const expanded = plan.expanded.has(need);
    const shown = expanded ? all : all.slice(0, PER_ITEM);
    const more = (Number(item.more) || 0) + (all.length - shown.length);
    if (shown.length === 0) {
      li.appendChild(el('p', { class: 'no-offers', 'data-test': 'no-offers' }, t('plan.noOffers')));
    } else {
      li.appendChild(el('ul', { class: 'offers' }, shown.map(offerCard)));
    }
    if (more > 0 && !expanded) {
      const btn = el('button', { type: 'button', class: 'secondary more', 'data-need': need }, t('plan.more', more));
      btn.addEventListener('click', () => {
        plan.expanded.add(need);
        const s = route.seq;
        showPlan(s).then(() => {
          const first = document.querySelector('.todo-item[data-need="' + CSS.escape(need) + '"] .offers li:nth-child(' + (PER_ITEM + 1) + ') h3');
          if (first) {
            first.setAttribute('tabindex', '-1');
            first.focus();
          }
        });
      });
      li.appendChild(btn);
    }
    list.appendChild(li);
  });
  updateProgress();
  $('plan-body').hidden = false;
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
  setTick(need, box.checked);
  const li = box.closest('.todo-item');
  if (li) li.classList.toggle('done', box.checked);
  updateProgress();
}

export function forgetPlan() {
  store.remove(KEYS.profile);
  store.remove(KEYS.ticks);
  plan.answer = null;
  plan.profile = null;
  plan.expanded = new Set();
  $('questionnaire').reset();
  say(t('plan.forgotten'));
  go('#/', false, true);
}
