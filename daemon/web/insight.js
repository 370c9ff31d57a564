/*
 * insight.js — issue 26 on the starter's side of the page: asking once,
 * in plain words, whether the starter wants to help the city improve its
 * support anonymously; and only then sending this node (relative paths:
 * the node that serves the page, no one else) a progress event per step
 * (schemas/progress.schema.json; proto/API.md "Insight"): the bucket of
 * the profile, the step on one need, the partner chosen, the ISO week,
 * a random token kept in this browser.  The starter sees what was sent
 * and withdraws it.
 *
 * Nothing is asked unless the node's match answer says it collects
 * ("insight": {"k": …}), and nothing is sent without the starter's yes: the
 * state is localStorage "gilde.insight" = { consent, token, sent: [keys] }.
 * plan.js calls insightDrawn / insightStep / nofitButton; planstate.js
 * puts the answer in the plan file and takes it from one.
 */
import { ApiError, api } from './api.js';
import { termLabel } from './data.js';
import { $, clear, el } from './dom.js';
import { t } from './i18n.js';
import { INSIGHT_WORDS } from './insightwords.js';
import { store } from './local.js';
import { say, sayError } from './status.js';
import { I18N } from './words.js';

for (const l of Object.keys(INSIGHT_WORDS)) Object.assign(I18N[l], INSIGHT_WORDS[l]);

export const INSIGHT_KEY = 'gilde.insight';
const TOKEN_RE = /^[A-Za-z0-9_-]{22}$/;
/* The page's own sentences that say nothing is sent, and what they say
 * instead once the starter agreed. */
const SHARED_TEXTS = {
  'plan.ticksLocal': 'insight.ticksShared',
  'q.privacy': 'insight.qPrivacyShared',
  'footer.privacy': 'insight.footerShared',
};

const now = { profile: null, collecting: false, k: 0, needs: [] };
/* Keys whose request is on its way: a list drawn again before the node
 * answered would send the same step twice (the node keeps one). */
const sending = new Set();

function state() {
  const s = store.get(INSIGHT_KEY, null);
  return s && typeof s === 'object' && !Array.isArray(s) ? s : {};
}

function setState(s) {
  store.set(INSIGHT_KEY, s);
}

function consenting() {
  const s = state();
  return s.consent === true && TOKEN_RE.test(s.token || '');
}

function newToken() {
  const raw = new Uint8Array(16);
  crypto.getRandomValues(raw);
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/* The ISO 8601 week of day d, "2026-W11": the week only, never the day. */
export function isoWeek(d) {
  const day = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7)); /* its Thursday */
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day - Date.UTC(year, 0, 1)) / 86400000 + 1) / 7);
  return year + '-W' + String(week).padStart(2, '0');
}

/* "2026-W49" as people say it: "week 49 of 2026". */
export function weekName(w) {
  const m = /^([0-9]{4})-W([0-9]{2})$/.exec(w || '');
  return m ? t('insight.week', Number(m[2]), m[1]) : (w || '');
}

/* The kind of starter, from the profile's answers only. */
function bucketOf(p) {
  const b = { phase: p.phase };
  if (Array.isArray(p.sectors) && p.sectors.length) b.sector = p.sectors[0];
  if (p.activity) b.activity = p.activity;
  for (const k of ['student', 'international', 'side_activity']) if (typeof p[k] === 'boolean') b[k] = p[k];
  return b;
}

async function send(step, need, partner) {
  if (!consenting() || !now.profile || !now.profile.phase) return;
  const s = state();
  const key = step + '/' + need + (partner ? '/' + partner.author + '/' + (partner.id || '') : '');
  const flight = s.token + ' ' + key;
  if ((s.sent || []).includes(key) || sending.has(flight)) return;
  const ev = { token: s.token, week: isoWeek(new Date()), bucket: bucketOf(now.profile), step, need };
  if (partner) ev.partner = partner;
  sending.add(flight);
  try {
    await api('api/v1/insight/events', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(ev),
    });
    const after = state();
    after.sent = (after.sent || []).concat([key]).slice(-512);
    setState(after);
  } catch (e) {
    /* the plan works without it: a note that was not taken is not resent */
  } finally {
    sending.delete(flight);
  }
}

/* ---- hooks for plan.js ------------------------------------------------------- */

/* The list was drawn for profile from answer: ask, or send "listed". */
export function insightDrawn(profile, answer) {
  now.profile = profile;
  const ins = answer && answer.insight;
  now.collecting = !!(ins && typeof ins === 'object' && Number.isInteger(ins.k) && ins.k >= 5);
  now.k = now.collecting ? ins.k : 0;
  now.needs = ((answer && answer.items) || []).map((it) => String(it.need));
  drawBox();
  applyShared();
  sendListed();
}

function sendListed() {
  if (now.collecting && consenting()) for (const need of now.needs) send('listed', need);
}

/* A step: "chosen" (o: the match offer), "done", "dropped". */
export function insightStep(step, need, o) {
  if (!now.collecting) return;
  if (step === 'chosen') {
    if (!o || typeof o.author !== 'string') return;
    const partner = { author: o.author };
    if (typeof o.partner_id === 'string' && o.partner_id) partner.id = o.partner_id;
    send('chosen', need, partner);
  } else {
    send(step, need);
  }
}

/* "None of these fits me" for a step, when the starter agreed. */
export function nofitButton(need) {
  if (!now.collecting || !consenting()) return null;
  const b = el('button', { type: 'button', class: 'link nofit', 'data-test': 'nofit', 'data-need': need }, t('insight.nofit'));
  b.addEventListener('click', async () => {
    await send('nofit', need);
    say(t('insight.nofitSent', termLabel('need', need)));
  });
  return b;
}

/* ---- the question, and the answer's line -------------------------------------- */

function applyShared() {
  const on = consenting();
  for (const [plain, shared] of Object.entries(SHARED_TEXTS)) {
    for (const e of document.querySelectorAll('[data-i18n="' + plain + '"],[data-i18n-was="' + plain + '"]')) {
      e.setAttribute('data-i18n', on ? shared : plain);
      e.setAttribute('data-i18n-was', plain);
      e.textContent = t(on ? shared : plain);
    }
  }
}

function answer(yes) {
  const s = state();
  if (yes) {
    s.consent = true;
    if (!TOKEN_RE.test(s.token || '')) s.token = newToken();
  } else {
    s.consent = false;
    delete s.token;
    s.sent = [];
  }
  setState(s);
  say(t(yes ? 'insight.thanks' : 'insight.noThanks'));
  drawBox();
  applyShared();
  sendListed();
}

function askBox() {
  const yes = el('button', { type: 'button', class: 'primary', 'data-test': 'insight-yes' }, t('insight.yes'));
  const no = el('button', { type: 'button', class: 'secondary', 'data-test': 'insight-no' }, t('insight.no'));
  yes.addEventListener('click', () => answer(true));
  no.addEventListener('click', () => answer(false));
  /* the whole of what is sent one tap away: on a phone the question was
   * a screen tall, above the starter's first step */
  return [
    el('h2', { id: 'insight-ask-title' }, t('insight.askTitle')),
    el('p', { 'data-test': 'insight-short' }, t('insight.askShort', now.k)),
    el('details', { class: 'insight-more', 'data-test': 'insight-more' },
      el('summary', null, t('insight.askMore')),
      el('p', null, t('insight.askWhat')),
      el('ul', { 'data-test': 'insight-what' },
        el('li', null, t('insight.askBucket')), el('li', null, t('insight.askStep')),
        el('li', null, t('insight.askWeek')), el('li', null, t('insight.askToken'))),
      el('p', null, t('insight.askNot', now.k))),
    el('p', { class: 'actions' }, yes, no),
  ];
}

/* Every field of a note's kind of starter, in words (the fourth phone
 * trial saw the phase only, while the note held six fields). */
function bucketText(b) {
  const yes = (v, on, off) => (v === true ? t(on) : v === false ? t(off) : null);
  return [b.phase ? termLabel('phase', b.phase) : null, b.sector ? termLabel('sector', b.sector) : null,
    b.activity ? termLabel('activity', b.activity) : null,
    yes(b.student, 'insight.b.student', 'insight.b.notStudent'),
    yes(b.international, 'insight.b.international', 'insight.b.notInternational'),
    yes(b.side_activity, 'insight.b.side', 'insight.b.notSide')].filter(Boolean).join(', ');
}

function sentList(events) {
  if (!events.length) return el('p', { 'data-test': 'insight-sent' }, t('insight.sentNone'));
  return el('div', { 'data-test': 'insight-sent' },
    el('p', null, t('insight.sentCount', events.length)),
    el('ul', null, events.map((e) => el('li', { 'data-test': 'insight-sent-event' },
      weekName(e.week) + ': ' + termLabel('need', e.need) + ', ' + t('insight.step.' + e.step) +
      (e.partner && e.partner.id ? ' (' + t('insight.b.partner', e.partner.id) + ')' : '') +
      ' — ' + bucketText(e.bucket || {})))),
    el('p', { class: 'hint' }, t('insight.sentToken')));
}

async function showSent(where) {
  try {
    const ans = await api('api/v1/insight/events', { headers: { Accept: 'application/json', 'Insight-Token': state().token } });
    clear(where).appendChild(sentList(Array.isArray(ans.events) ? ans.events : []));
  } catch (e) {
    sayError(e);
  }
}

async function withdraw() {
  let n = 0;
  try {
    if (consenting()) {
      const ans = await api('api/v1/insight/events', { method: 'DELETE', headers: { Accept: 'application/json', 'Insight-Token': state().token } });
      n = ans.withdrawn || 0;
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) {
      sayError(e);
      return;
    }
  }
  setState({ consent: false, sent: [] });
  drawBox();
  applyShared();
  say(t('insight.withdrawn', n));
}

function answeredLine() {
  const on = consenting();
  const line = el('p', { 'data-test': on ? 'insight-on' : 'insight-off' }, t(on ? 'insight.on' : 'insight.off'), ' ');
  if (on) {
    const where = el('div', { class: 'insight-sent' });
    const show = el('button', { type: 'button', class: 'link', 'data-test': 'insight-show-sent' }, t('insight.showSent'));
    const stop = el('button', { type: 'button', class: 'link', 'data-test': 'insight-withdraw' }, t('insight.withdraw'));
    show.addEventListener('click', () => showSent(where));
    stop.addEventListener('click', withdraw);
    return [el('p', null, line, show, ' · ', stop), where];
  }
  const change = el('button', { type: 'button', class: 'link', 'data-test': 'insight-change' }, t('insight.change'));
  change.addEventListener('click', () => {
    const s = state();
    delete s.consent;
    setState(s);
    drawBox();
  });
  return [el('p', null, line, change)];
}

function drawBox() {
  const box = $('insight-box');
  if (!box) return;
  clear(box);
  box.hidden = !now.collecting;
  if (!now.collecting) return;
  const asked = typeof state().consent === 'boolean';
  box.classList.toggle('asking', !asked);
  box.setAttribute('aria-labelledby', asked ? '' : 'insight-ask-title');
  for (const e of asked ? answeredLine() : askBox()) box.appendChild(e);
}

/* ---- the plan file ------------------------------------------------------------- */

/* What a plan file says of the answer (plan.schema.json: insight), or null. */
export function insightForFile() {
  const s = state();
  if (typeof s.consent !== 'boolean') return null;
  return consenting() ? { consent: true, token: s.token } : { consent: false };
}

/* The answer a plan file holds, if it holds a sound one. */
export function adoptInsight(v) {
  if (!v || typeof v !== 'object' || typeof v.consent !== 'boolean') return;
  if (v.consent && !TOKEN_RE.test(v.token || '')) return;
  setState(v.consent ? { consent: true, token: v.token, sent: [] } : { consent: false, sent: [] });
}

applyShared(); /* an answer given before: the page says so from the start */
