/*
 * form.js — the questionnaire (#/, one screen at a time: #/?step=N): the
 * questions an adviser asks, their choices from the taxonomy.  Only the
 * phase must be answered; what was answered (nothing more) makes the
 * profile (profile.schema.json).  The needs are not asked: the to-do
 * paths propose them, and the starter adds and drops steps on the list.
 */
import { KINDS, termLabel, terms } from './data.js';
import { $, clear, el } from './dom.js';
import { lang, t } from './i18n.js';
import { KEYS, store } from './local.js';
import { MAX_NEEDS, planAnswered, startList } from './plan.js';
import { go } from './router.js';
import { say, sayError } from './status.js';

const STEPS = 5;
/* Company size and age are asked once the company exists. */
const PAST_START = ['start', 'restart', 'growth'];
const SPEAKS = ['nl', 'en', 'fr', 'de'];
const EMPLOYEES_MAX = 1000000;  /* profile.schema.json: employees maximum */
const AGE_MAX = 100;            /* profile.schema.json: company_age maximum */
/* The questionnaire's sectors most starters are in (taxonomy sector ids). */
const EVERYDAY = ['retail', 'hospitality', 'personal-services', 'services', 'creative', 'digital',
  'construction', 'social-economy'];

/* The needs the starter chose on the list are kept when the answers
 * change, unless the answers were cleared. */
let needsCleared = false;
let current = 1;
/* Set by Next and Back: the step's question gets the focus. */
let stepNav = false;

/* A label whose text is a taxonomy term's label, relabelled on a language switch. */
function termSpan(facet, id) {
  return el('span', { 'data-term': facet + ':' + id }, termLabel(facet, id));
}

function choice(type, name, value, facet, testId) {
  const id = name + '-' + (value || 'none');
  return el('div', { class: 'choice' },
    el('input', { type, name, value, id, 'data-test': testId }),
    el('label', { for: id }, facet ? termSpan(facet, value) : el('span', { 'data-i18n': 'q.notSure' }, t('q.notSure'))));
}

function noAnswerOption() {
  return el('option', { value: '', 'data-i18n': 'q.noAnswer' }, t('q.noAnswer'));
}

function termOptions(select, facet, first) {
  clear(select);
  select.appendChild(first);
  for (const term of terms(facet)) {
    select.appendChild(el('option', { value: term.id, 'data-term': facet + ':' + term.id }, termLabel(facet, term.id)));
  }
}

function checked(name) {
  return Array.from($('questionnaire').querySelectorAll('input[name="' + name + '"]:checked')).map((i) => i.value);
}

/* Show what depends on other answers: the school for a student, size
 * and age past the start. */
function dependants() {
  $('school-field').hidden = checked('student')[0] !== 'yes';
  const past = PAST_START.includes(checked('phase')[0]);
  for (const f of document.querySelectorAll('#questionnaire .past-start')) f.hidden = !past;
}

export function buildForm() {
  const phases = clear($('phase-choices'));
  for (const term of terms('phase')) phases.appendChild(choice('radio', 'phase', term.id, 'phase', 'phase'));
  const acts = clear($('activity-choices'));
  for (const term of terms('activity')) acts.appendChild(choice('radio', 'activity', term.id, 'activity', 'activity'));
  acts.appendChild(choice('radio', 'activity', '', null, 'activity'));
  /* the sectors most starters are in first, then the taxonomy's order (its
   * clusters first: a bike repairer did not find "Personal services", 16th) */
  const sectors = clear($('sector-choices'));
  const rank = (id) => (EVERYDAY.indexOf(id) + EVERYDAY.length + 1) % (EVERYDAY.length + 1);
  const sorted = terms('sector').map((term, i) => [term, i])
    .sort((a, b) => rank(a[0].id) - rank(b[0].id) || a[1] - b[1]).map((x) => x[0]);
  for (const term of sorted) sectors.appendChild(choice('checkbox', 'sector', term.id, 'sector', 'sector'));
  const speaks = clear($('speaks-choices'));
  for (const l of SPEAKS) {
    speaks.appendChild(el('div', { class: 'choice' },
      el('input', { type: 'checkbox', name: 'speaks', value: l, id: 'speaks-' + l, 'data-test': 'speaks' }),
      el('label', { for: 'speaks-' + l, 'data-i18n': 'lang.' + l }, t('lang.' + l))));
  }
  termOptions($('school'), 'school', noAnswerOption());
  termOptions($('area'), 'area', noAnswerOption());
  $('questionnaire').addEventListener('change', dependants);

  /* the events and search filters use the same vocabularies */
  termOptions($('event-sector'), 'sector', el('option', { value: '', 'data-i18n': 'events.all' }, t('events.all')));
  termOptions($('event-phase'), 'phase', el('option', { value: '', 'data-i18n': 'events.all' }, t('events.all')));
  const kind = clear($('search-kind'));
  kind.appendChild(el('option', { value: '', 'data-i18n': 'search.all' }, t('search.all')));
  for (const k of KINDS) kind.appendChild(el('option', { value: k, 'data-i18n': 'kind.' + k }, t('kind.' + k)));
  dependants();
}

/* Set while the page itself resets the form (no starter cleared it). */
let filling = false;

export function fillForm(p) {
  const form = $('questionnaire');
  filling = true;
  form.reset();
  filling = false;
  needsCleared = false;
  if (p) {
    const check = (name, value) => {
      const input = form.querySelector('input[name="' + name + '"][value="' + CSS.escape(String(value)) + '"]');
      if (input) input.checked = true;
    };
    const yesNo = (name, v) => { if (typeof v === 'boolean') check(name, v ? 'yes' : 'no'); };
    if (p.phase) check('phase', p.phase);
    if (p.activity) check('activity', p.activity);
    for (const s of p.sectors || []) check('sector', s);
    for (const l of p.languages || []) check('speaks', l);
    if (typeof p.side_activity === 'boolean') check('side', p.side_activity ? 'side' : 'main');
    yesNo('student', p.student);
    yesNo('international', p.international);
    yesNo('research', p.research);
    yesNo('takeover', p.takeover);
    yesNo('bank_refused', p.bank_refused);
    yesNo('jobseeker', p.jobseeker);
    yesNo('prototype', p.prototype);
    yesNo('staff_from_abroad', p.staff_from_abroad);
    yesNo('experienced', p.experienced);
    if (p.premises) check('premises', p.premises);
    if (p.school) $('school').value = p.school;
    if (p.area) $('area').value = p.area;
    if (Number.isInteger(p.company_age)) $('company-age').value = String(p.company_age);
    if (Number.isInteger(p.employees)) $('employees').value = String(p.employees);
  }
  dependants();
}

/* ---- one screen at a time -------------------------------------------------- */

function showStep(n, focus) {
  current = n;
  for (const s of document.querySelectorAll('#questionnaire .q-step')) s.hidden = Number(s.getAttribute('data-step')) !== n;
  $('q-progress').textContent = t('q.progress', n, STEPS);
  $('q-back').hidden = n === 1;
  $('q-next').hidden = n === STEPS;
  const last = n === STEPS;
  $('submit-profile').className = last ? 'primary' : 'secondary';
  $('submit-profile').setAttribute('data-i18n', last ? 'q.submit' : 'q.submitNow');
  $('submit-profile').textContent = t(last ? 'q.submit' : 'q.submitNow');
  if (focus) {
    const legend = document.querySelector('#questionnaire .q-step[data-step="' + n + '"] > legend');
    if (legend) legend.focus();
  }
}

/* The home view (#/ or #/?step=N): the step asked for, once the phase is known. */
export function showHome(params) {
  const want = Number((params && params.get('step')) || 1);
  const n = Number.isInteger(want) && want >= 1 && want <= STEPS && (want === 1 || checked('phase').length) ? want : 1;
  showStep(n, stepNav);
  stepNav = false;
}

/* Enter in an answer means Next until the last question (the form's
 * implicit submission would make the list from the answers so far). */
export function onEnter(ev) {
  if (ev.key !== 'Enter' || ev.isComposing || current >= STEPS) return;
  const tag = ev.target && ev.target.tagName;
  if (tag === 'BUTTON' || tag === 'TEXTAREA' || tag === 'A') return;
  ev.preventDefault();
  onNext();
}

export function onNext() {
  clearErrors();
  if (current === 1 && !checked('phase').length) {
    fieldError('phase-error', $('fs-phase'), t('q.err.phase'));
    $('questionnaire').querySelector('input[name="phase"]').focus();
    return;
  }
  stepNav = true;
  go('#/?step=' + Math.min(current + 1, STEPS), true);
}

export function onBack() {
  stepNav = true;
  go(current <= 2 ? '#/' : '#/?step=' + (current - 1), true);
}

export function onReset(ev) {
  if (filling) return;
  if (!window.confirm(t('q.resetConfirm'))) {
    ev.preventDefault();
    return;
  }
  needsCleared = true;
  clearErrors();
  /* what is stored goes too: a reload would bring the answers back */
  store.remove(KEYS.profile);
  planAnswered(null, null);
  setTimeout(() => {
    dependants();
    go('#/', true);
  }, 0);
}

/* ---- the profile ------------------------------------------------------------- */

function fieldError(id, input, message) {
  const box = $(id);
  box.textContent = message || '';
  box.hidden = !message;
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

/* A whole number from 0 to max typed in input, undefined if empty, or null if wrong. */
function wholeNumber(input, max) {
  const v = input.value.trim();
  if (v === '' && !input.validity.badInput) return undefined;
  const n = Number(v);
  return /^\d{1,7}$/.test(v) && n >= 0 && n <= max ? n : null;
}

function yesNo(name) {
  const v = checked(name)[0];
  return v ? v === 'yes' : undefined;
}

/* The profile from the form: only what was answered (profile.schema.json). */
export function readForm() {
  const p = {};
  const errors = [];
  const put = (k, v) => { if (v !== undefined && v !== '' && !(Array.isArray(v) && !v.length)) p[k] = v; };
  put('phase', checked('phase')[0]);
  if (!p.phase) errors.push([1, 'phase-error', $('fs-phase'), t('q.err.phase'), $('questionnaire').querySelector('input[name="phase"]')]);
  put('activity', checked('activity')[0]);
  /* in the taxonomy's order, whatever the order asked in: the first is the
   * one the insight figures count a starter under */
  const order = terms('sector').map((x) => x.id);
  put('sectors', checked('sector').sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  const side = checked('side')[0];
  if (side) p.side_activity = side === 'side';
  put('research', yesNo('research'));
  put('student', yesNo('student'));
  if (p.student === true) put('school', $('school').value);
  put('international', yesNo('international'));
  put('takeover', yesNo('takeover'));
  put('bank_refused', yesNo('bank_refused'));
  put('jobseeker', yesNo('jobseeker'));
  put('prototype', yesNo('prototype'));
  put('staff_from_abroad', yesNo('staff_from_abroad'));
  put('experienced', yesNo('experienced'));
  put('languages', checked('speaks'));
  put('premises', checked('premises')[0]);
  put('area', $('area').value);
  if (PAST_START.includes(p.phase)) {
    const emp = wholeNumber($('employees'), EMPLOYEES_MAX);
    if (emp === null) errors.push([5, 'employees-error', $('employees'), t('q.err.employees'), $('employees')]);
    else put('employees', emp);
    const age = wholeNumber($('company-age'), AGE_MAX);
    if (age === null) errors.push([5, 'age-error', $('company-age'), t('q.err.age'), $('company-age')]);
    else put('company_age', age);
  }
  const saved = store.get(KEYS.profile, null);
  if (!needsCleared && saved && Array.isArray(saved.needs) && saved.needs.length) p.needs = saved.needs.slice(0, MAX_NEEDS);
  p.lang = lang;
  return { profile: p, errors };
}

/* No answer marked wrong any more. */
export function clearErrors() {
  for (const [id, input] of [['phase-error', $('fs-phase')], ['employees-error', $('employees')], ['age-error', $('company-age')]]) {
    fieldError(id, input, '');
  }
}

export async function onSubmit(ev) {
  ev.preventDefault();
  clearErrors();
  const { profile, errors } = readForm();
  if (errors.length) {
    for (const [, id, input, message] of errors) fieldError(id, input, message);
    say(t('q.err.form') + '\n' + errors.map((e) => e[3]).join('\n'), true);
    showStep(errors[0][0], false);
    errors[0][4].focus();
    return;
  }
  const button = $('submit-profile');
  button.disabled = true;
  say(t('q.sending'));
  try {
    await startList(profile);
  } catch (e) {
    sayError(e);
  } finally {
    button.disabled = false;
  }
}
