/*
 * form.js — the questionnaire (#/): its choices come from the taxonomy,
 * and what was answered (nothing more) makes the profile.
 */
import { KINDS, termLabel, terms } from './data.js';
import { $, clear, el } from './dom.js';
import { lang, t } from './i18n.js';
import { KEYS, store } from './local.js';
import { planAnswered, runMatch } from './plan.js';
import { go } from './router.js';
import { say, sayError } from './status.js';

const MAX_NEEDS = 8;          /* profile.schema.json: needs maxItems */

/* A label whose text is a taxonomy term's label, relabelled on a language switch. */
function termSpan(facet, id) {
  return el('span', { 'data-term': facet + ':' + id }, termLabel(facet, id));
}

function choice(type, name, value, facet, testId) {
  const id = name + '-' + value;
  return el('div', { class: 'choice' },
    el('input', { type, name, value, id, 'data-test': testId }),
    el('label', { for: id }, termSpan(facet, value)));
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

export function buildForm() {
  const phases = clear($('phase-choices'));
  for (const term of terms('phase')) phases.appendChild(choice('radio', 'phase', term.id, 'phase', 'phase'));
  phases.querySelector('input').setAttribute('required', '');

  const sectors = clear($('sector-choices'));
  for (const term of terms('sector')) sectors.appendChild(choice('checkbox', 'sector', term.id, 'sector', 'sector'));

  termOptions($('activity'), 'activity', noAnswerOption());
  termOptions($('area'), 'area', noAnswerOption());

  /* needs: top-level terms, each with its narrower terms in a nested list */
  const tree = clear($('need-choices'));
  const byId = new Map();
  for (const term of terms('need')) {
    const parentLi = term.parent ? byId.get(term.parent) : null;
    const li = el('li', { class: term.parent ? 'need child' : 'need' },
      choice('checkbox', 'need', term.id, 'need', 'need'));
    if (parentLi) {
      let sub = parentLi.querySelector('ul');
      if (!sub) sub = parentLi.appendChild(el('ul', { class: 'need-children' }));
      sub.appendChild(li);
    } else {
      tree.appendChild(li);
    }
    byId.set(term.id, li);
  }

  /* the events and search filters use the same vocabularies */
  termOptions($('event-sector'), 'sector', el('option', { value: '', 'data-i18n': 'events.all' }, t('events.all')));
  termOptions($('event-phase'), 'phase', el('option', { value: '', 'data-i18n': 'events.all' }, t('events.all')));
  const kind = clear($('search-kind'));
  kind.appendChild(el('option', { value: '', 'data-i18n': 'search.all' }, t('search.all')));
  for (const k of KINDS) kind.appendChild(el('option', { value: k, 'data-i18n': 'kind.' + k }, t('kind.' + k)));
}

export function fillForm(p) {
  const form = $('questionnaire');
  form.reset();
  if (!p) return;
  const check = (name, value) => {
    const input = form.querySelector('input[name="' + name + '"][value="' + CSS.escape(String(value)) + '"]');
    if (input) input.checked = true;
  };
  if (p.phase) check('phase', p.phase);
  for (const s of p.sectors || []) check('sector', s);
  for (const n of p.needs || []) check('need', n);
  if (typeof p.student === 'boolean') check('student', p.student ? 'yes' : 'no');
  if (typeof p.international === 'boolean') check('international', p.international ? 'yes' : 'no');
  if (p.activity) $('activity').value = p.activity;
  if (p.area) $('area').value = p.area;
  if (Number.isInteger(p.company_age)) $('company-age').value = String(p.company_age);
}

function fieldError(id, input, message) {
  const box = $(id);
  box.textContent = message || '';
  box.hidden = !message;
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

/* The profile from the form: only what was answered (profile.schema.json). */
function readForm() {
  const form = $('questionnaire');
  const checked = (name) => Array.from(form.querySelectorAll('input[name="' + name + '"]:checked')).map((i) => i.value);
  const p = {};
  const errors = [];
  const phase = checked('phase')[0];
  if (phase) p.phase = phase;
  else errors.push(['phase-error', $('fs-phase'), t('q.err.phase'), form.querySelector('input[name="phase"]')]);
  const sectors = checked('sector');
  if (sectors.length) p.sectors = sectors;
  const needs = checked('need');
  if (needs.length === 0) {
    errors.push(['needs-error', $('fs-needs'), t('q.err.needs'), form.querySelector('input[name="need"]')]);
  } else if (needs.length > MAX_NEEDS) {
    errors.push(['needs-error', $('fs-needs'), t('q.err.tooMany', MAX_NEEDS, needs.length),
      form.querySelector('input[name="need"]:checked')]);
  } else {
    p.needs = needs;
  }
  const activity = $('activity').value;
  if (activity) p.activity = activity;
  const student = checked('student')[0];
  if (student) p.student = student === 'yes';
  const intl = checked('international')[0];
  if (intl) p.international = intl === 'yes';
  const area = $('area').value;
  if (area) p.area = area;
  const age = $('company-age').value.trim();
  if (age !== '' || $('company-age').validity.badInput) {
    const n = Number(age);
    if (/^\d{1,3}$/.test(age) && n >= 0 && n <= 100) p.company_age = n;
    else errors.push(['age-error', $('company-age'), t('q.err.age'), $('company-age')]);
  }
  p.lang = lang;
  return { profile: p, errors };
}

/* No answer marked wrong any more. */
export function clearErrors() {
  for (const [id, input] of [['phase-error', $('fs-phase')], ['needs-error', $('fs-needs')], ['age-error', $('company-age')]]) {
    fieldError(id, input, '');
  }
}

export async function onSubmit(ev) {
  ev.preventDefault();
  clearErrors();
  const { profile, errors } = readForm();
  if (errors.length) {
    for (const [id, input, message] of errors) fieldError(id, input, message);
    say(t('q.err.form') + '\n' + errors.map((e) => e[2]).join('\n'), true);
    errors[0][3].focus();
    return;
  }
  const button = $('submit-profile');
  button.disabled = true;
  say(t('q.sending'));
  try {
    const answer = await runMatch(profile, false);
    store.set(KEYS.profile, profile);
    planAnswered(profile, answer);
    say(t('plan.ready', (answer.items || []).length));
    go('#/plan', false, true);
  } catch (e) {
    sayError(e);
  } finally {
    button.disabled = false;
  }
}
