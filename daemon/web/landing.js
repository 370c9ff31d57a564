/*
 * landing.js — the screening of a start-up from abroad (#/landing): the
 * questions a landing programme asks (GET /api/v1/screening, as the node's
 * schemas/screening.json gives them, English first), and the readiness
 * report (POST /api/v1/screen): what is in place, what to prepare and in
 * which order, with the partners for each step.
 *
 * A question with "when" (a company's funding, a freelancer's citizenship)
 * is shown only while the answers above it meet its conditions, as the
 * node reads them (daemon/query/screen.h); hidden, it is neither checked
 * nor sent.  "and N more in the directory" under a step links to
 * #/landing?more=RULE: the same report, with every offer of that step.
 * What a failed submit finds is listed at the top of the form (in the
 * flow: it covers nothing); each mark goes as soon as it is answered.
 *
 * The answers stay in this browser (localStorage); they go to the node
 * only as the body of POST /api/v1/screen, which keeps nothing.  Like the
 * other views, everything a partner or the screening's file wrote is put
 * in the page as text, never as HTML.
 */
import { api } from './api.js';
import { $, badge, clear, el, extLink, mailLink, partnerHref, phoneLink } from './dom.js';
import { fillForm } from './form.js';
import { lang, t, txt } from './i18n.js';
import { store } from './local.js';
import { savedProfile, startList } from './plan.js';
import { addView, go, route } from './router.js';
import { busy, say, sayChoice, sayError } from './status.js';
import { I18N } from './words.js';

const KEY = 'gilde.landing';        /* the answers, kept in this browser */
const PER_STEP = 3;                 /* offers shown per step */

/* This view's own words, added to the page's (words.js is the page's own). */
const WORDS = {
  en: {
    'nav.landing': 'Landing in Ghent',
    'landing.required': '(required)',
    'landing.optional': '(optional)',
    'landing.yes': 'Yes',
    'landing.no': 'No',
    'landing.submit': 'Make my readiness report',
    'landing.clear': 'Clear my answers',
    'landing.print': 'Print the report',
    'landing.makePlan': 'Make my to-do list from these answers',
    'landing.replaceAsk': 'You already have a to-do list. Replace it with one made from these answers?',
    'landing.replaceYes': 'Yes, replace it',
    'landing.replaceNo': 'No, keep my list',
    'landing.kept': 'Your to-do list is unchanged.',
    'landing.privacy': 'Your answers are kept in this browser only. This site uses them to make your report and does not keep them.',
    'landing.report': 'Your readiness report',
    'landing.summary': '{0} in place, {1} to prepare. The steps, in the order to take them:',
    'landing.inPlace': 'In place',
    'landing.toPrepare': 'To prepare',
    'landing.whoHelps': 'Who helps with this ({0}):',
    'landing.seeStep': 'The partners of step {0} help here too.',
    'landing.noOffers': 'No offer in the directory fits this step yet.',
    'landing.why': 'Why this offer',
    'landing.by': 'by',
    'landing.website': 'Website',
    'landing.more': 'and {0} more in the directory',
    'landing.moreLabel': 'Show the {0} more offers in the directory for step {1}: {2}',
    'landing.all': 'All {0} offers in the directory for this step:',
    'landing.err.required': 'Please answer this question.',
    'landing.err.many': 'Choose at most {0}.',
    'landing.err.number': 'Give a whole number from {0} to {1}.',
    'landing.err.text': 'At most {0} characters.',
    'landing.err.form': 'Some answers are missing or do not fit:',
    'landing.sending': 'Making your report…',
    'landing.ready': 'Your report is ready: {0} steps.',
    'landing.cleared': 'Your answers are gone from this browser.',
  },
  nl: {
    'nav.landing': 'Starten in Gent vanuit het buitenland',
    'landing.required': '(verplicht)',
    'landing.optional': '(niet verplicht)',
    'landing.yes': 'Ja',
    'landing.no': 'Nee',
    'landing.submit': 'Maak mijn overzicht',
    'landing.clear': 'Wis mijn antwoorden',
    'landing.print': 'Het overzicht afdrukken',
    'landing.makePlan': 'Maak mijn takenlijst met deze antwoorden',
    'landing.replaceAsk': 'Je hebt al een takenlijst. Wil je ze vervangen door een lijst met deze antwoorden?',
    'landing.replaceYes': 'Ja, vervang ze',
    'landing.replaceNo': 'Nee, houd mijn lijst',
    'landing.kept': 'Je takenlijst is niet veranderd.',
    'landing.privacy': 'Je antwoorden blijven alleen in deze browser. Deze site gebruikt ze om je overzicht te maken en bewaart ze niet.',
    'landing.report': 'Je overzicht: hoe klaar ben je?',
    'landing.summary': '{0} in orde, {1} voor te bereiden. De stappen, in de volgorde om ze te zetten:',
    'landing.inPlace': 'In orde',
    'landing.toPrepare': 'Voor te bereiden',
    'landing.whoHelps': 'Wie helpt hierbij ({0}):',
    'landing.seeStep': 'De partners van stap {0} helpen hier ook.',
    'landing.noOffers': 'Nog geen aanbod in de gids dat bij deze stap past.',
    'landing.why': 'Waarom dit aanbod',
    'landing.by': 'door',
    'landing.website': 'Website',
    'landing.more': 'en nog {0} in de gids',
    'landing.moreLabel': 'Toon de {0} andere aanbiedingen in de gids voor stap {1}: {2}',
    'landing.all': 'Alle {0} aanbiedingen in de gids voor deze stap:',
    'landing.err.required': 'Beantwoord deze vraag.',
    'landing.err.many': 'Kies er hoogstens {0}.',
    'landing.err.number': 'Geef een geheel getal van {0} tot {1}.',
    'landing.err.text': 'Hoogstens {0} tekens.',
    'landing.err.form': 'Er ontbreken antwoorden of ze passen niet:',
    'landing.sending': 'Je overzicht wordt gemaakt…',
    'landing.ready': 'Je overzicht is klaar: {0} stappen.',
    'landing.cleared': 'Je antwoorden zijn uit deze browser gewist.',
  },
};
Object.assign(I18N.en, WORDS.en);
Object.assign(I18N.nl, WORDS.nl);
/* the page may have labelled the menu before this module came */
for (const a of document.querySelectorAll('[data-i18n="nav.landing"]')) a.textContent = t('nav.landing');

/* the report of the answers saved, its language, whether it lists every
 * offer of each step (per_step=0), and the step whose offers are all shown */
const state = { screening: null, report: null, reportLang: null, reportAll: false, more: null };

function saved() {
  const v = store.get(KEY, null);
  return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

/* ---- the questions ------------------------------------------------------------ */

/* Whether a condition of a "when" holds for the answers above it (read as
 * the node reads them: an answer left out meets no in, is, min or max). */
function holds(c, answers) {
  const v = answers[c.q];
  if (Object.prototype.hasOwnProperty.call(c, 'answered')) return (v !== undefined) === c.answered;
  if (v === undefined) return false;
  if (Array.isArray(c.in)) return (Array.isArray(v) ? v : [v]).some((x) => c.in.includes(x));
  if (typeof c.is === 'boolean') return v === c.is;
  if (typeof c.min === 'number') return typeof v === 'number' && v >= c.min;
  if (typeof c.max === 'number') return typeof v === 'number' && v <= c.max;
  return false;
}

function asked(q, answers) {
  return !Array.isArray(q.when) || q.when.every((c) => holds(c, answers));
}

function choiceInput(type, q, value, label, checked) {
  const id = 'lq-' + q.id + '-' + value;
  return el('div', { class: 'choice' },
    el('input', { type, name: 'lq-' + q.id, value, id, checked, 'data-test': 'lq-' + q.id }),
    el('label', { for: id }, label));
}

function questionField(q, answer) {
  const req = el('span', { class: q.required ? 'req' : 'opt' }, t(q.required ? 'landing.required' : 'landing.optional'));
  const hintId = 'lq-' + q.id + '-hint';
  const errId = 'lq-' + q.id + '-error';
  const hint = q.hint ? el('p', { id: hintId, class: 'hint' }, txt(q.hint)) : null;
  const error = el('p', { id: errId, class: 'field-error', hidden: true });
  const described = (hint ? hintId + ' ' : '') + errId;
  if (q.type === 'text' || q.type === 'number') {
    const input = q.type === 'text' && q.max_length > 120
      ? el('textarea', { id: 'lq-' + q.id, rows: 3, maxlength: q.max_length })
      : el('input', q.type === 'text'
        ? { type: 'text', id: 'lq-' + q.id, maxlength: q.max_length }
        : { type: 'number', id: 'lq-' + q.id, min: q.min, max: q.max, step: 1, inputmode: 'numeric' });
    input.setAttribute('aria-describedby', described);
    input.setAttribute('data-test', 'lq-' + q.id);
    if (answer !== undefined) input.value = String(answer);
    return el('div', { class: 'group field landing-q', 'data-q': q.id },
      el('label', { for: 'lq-' + q.id }, txt(q.label), ' ', req), hint, input, error);
  }
  let choices;
  if (q.type === 'yesno') {
    choices = [choiceInput('radio', q, 'yes', t('landing.yes'), answer === true),
      choiceInput('radio', q, 'no', t('landing.no'), answer === false)];
  } else {
    const picked = Array.isArray(answer) ? answer : [answer];
    choices = (q.options || []).map((o) => choiceInput(q.type === 'multi' ? 'checkbox' : 'radio', q,
      o.id, txt(o.label), picked.includes(o.id)));
  }
  return el('fieldset', { class: 'group landing-q', 'data-q': q.id, 'aria-describedby': described },
    el('legend', null, txt(q.label), ' ', req), hint,
    el('div', { class: q.type === 'yesno' ? 'choices inline' : 'choices' }, choices), error);
}

function drawForm() {
  const s = state.screening;
  const answers = saved() || {};
  /* what a failed submit found, at the top of the form: in the flow of the
   * page, so that it covers nothing (the status box at the foot of the
   * screen covered the submit button) */
  const summary = el('div', { id: 'landing-errors', class: 'error-summary', tabindex: '-1', hidden: true,
    'aria-labelledby': 'landing-errors-title', 'data-test': 'landing-errors' },
  el('p', { id: 'landing-errors-title', class: 'error-summary-title' }, t('landing.err.form')),
  el('ul', { id: 'landing-errors-list' }));
  const form = el('form', { id: 'landing-form', class: 'questionnaire', novalidate: true, 'data-test': 'landing-form' },
    summary,
    (s.questions || []).map((q) => questionField(q, answers[q.id])),
    el('p', { class: 'privacy' }, t('landing.privacy')),
    el('div', { class: 'actions' },
      el('button', { type: 'submit', class: 'primary', 'data-test': 'landing-submit' }, t('landing.submit')),
      el('button', { type: 'button', class: 'secondary', id: 'landing-clear' }, t('landing.clear'))));
  form.addEventListener('submit', onSubmit);
  form.addEventListener('change', showAsked);
  form.addEventListener('input', showAsked);
  form.querySelector('#landing-clear').addEventListener('click', forget);
  return form;
}

/* Show the questions the answers above them ask, hide the others; an
 * error shown under a question goes once it is answered, and the summary
 * with it once no error is left. */
function showAsked() {
  const { errors } = readForm('update');
  if (!$('landing-errors').hidden) drawErrors(errors.filter(([q]) => !$('lq-' + q.id + '-error').hidden));
}

/* The list of errors at the top of the form (none: hidden), each a link to
 * its question. */
function drawErrors(errors) {
  const box = $('landing-errors');
  const list = clear($('landing-errors-list'));
  for (const [q, why] of errors) {
    const a = el('a', { href: '#/landing', 'data-q': q.id }, txt(q.label) + ' ' + why);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      focusQuestion(q.id);
    });
    list.appendChild(el('li', null, a));
  }
  box.hidden = !errors.length;
}

function focusQuestion(id) {
  const sel = '[data-q="' + CSS.escape(id) + '"]';
  const input = document.querySelector(sel + ' input, ' + sel + ' textarea');
  if (input) input.focus();
}

/* The answers in the form, checked as the node will check them.  mode
 * 'check' marks every question that does not fit; 'update' only takes
 * the mark off those that fit now (or were hidden); anything else shows
 * the questions asked and hides the others, nothing more. */
function readForm(mode = 'check') {
  const answers = {};
  const errors = [];
  for (const q of state.screening.questions || []) {
    const field = document.querySelector('.landing-q[data-q="' + CSS.escape(q.id) + '"]');
    const shown = asked(q, answers);
    if (field) field.hidden = !shown;
    if (!shown) {
      const err = $('lq-' + q.id + '-error');
      if (err) err.hidden = true;
      continue;
    }
    const inputs = Array.from(document.querySelectorAll('[name="lq-' + q.id + '"]'));
    const picked = inputs.filter((i) => i.checked).map((i) => i.value);
    const box = $('lq-' + q.id);
    const raw = box ? box.value.trim() : '';
    let value;
    let why = null;
    if (q.type === 'yesno') value = picked.length ? picked[0] === 'yes' : undefined;
    else if (q.type === 'choice') value = picked[0];
    else if (q.type === 'multi') value = picked.length ? picked : undefined;
    else if (raw !== '') value = q.type === 'number' ? Number(raw) : raw;
    if (value === undefined) {
      if (q.required) why = t('landing.err.required');
    } else if (q.type === 'multi' && q.max_choices && value.length > q.max_choices) {
      why = t('landing.err.many', q.max_choices);
    } else if (q.type === 'number' && (!/^\d+$/.test(raw) || value < q.min || value > q.max)) {
      why = t('landing.err.number', q.min, q.max);
    } else if (q.type === 'text' && Array.from(value).length > q.max_length) {
      why = t('landing.err.text', q.max_length);
    }
    const err = $('lq-' + q.id + '-error');
    if (mode === 'check' || (mode === 'update' && !err.hidden)) {
      err.textContent = why || '';
      err.hidden = !why;
    }
    if (why) errors.push([q, why]);
    else if (value !== undefined) answers[q.id] = value;
  }
  return { answers, errors };
}

/* ---- the report ------------------------------------------------------------------ */

function offerCard(o) {
  const contact = o.contact || {};
  const links = el('ul', { class: 'contact' },
    o.url ? el('li', null, extLink(o.url, t('landing.website'), null, o.name)) : null,
    mailLink(contact.email) ? el('li', null, mailLink(contact.email)) : null,
    phoneLink(contact.phone) ? el('li', null, phoneLink(contact.phone)) : null);
  const by = o.partner ? el('p', { class: 'by' }, t('landing.by') + ' ',
    o.partner_id ? el('a', { href: partnerHref(o.author, o.partner_id) }, o.partner) : o.partner) : null;
  const reasons = Array.isArray(o.reasons) && o.reasons.length
    ? el('details', { class: 'reasons' }, el('summary', null, t('landing.why')),
      el('ul', null, o.reasons.map((r) => el('li', null, String(r)))))
    : null;
  return el('li', { class: 'offer', 'data-test': 'landing-offer', 'data-offer': o.id },
    el('h4', { class: 'offer-name' }, String(o.name || o.id)), by,
    links.childNodes.length ? links : null, reasons);
}

/* The link to every offer of step st (this view, with ?more=RULE). */
function moreLink(st, more) {
  return el('p', { class: 'more' }, el('a', {
    href: '#/landing?more=' + encodeURIComponent(st.rule), 'data-test': 'landing-more',
    'aria-label': t('landing.moreLabel', more, st.n, String(st.title)),
  }, t('landing.more', more)));
}

function stepItem(st) {
  const done = st.status === 'in_place';
  const li = el('li', { class: 'landing-step ' + (done ? 'in-place' : 'to-prepare'), 'data-test': 'landing-step',
    'data-rule': st.rule, 'data-status': st.status },
  el('h3', { class: 'step-title' }, badge(t(done ? 'landing.inPlace' : 'landing.toPrepare'), done ? 'step-ok' : 'step-todo'),
    ' ', String(st.title)),
  el('p', { class: 'step-text' }, String(st.text)));
  if (done || !st.need) return li;
  if (st.see_step) {
    li.appendChild(el('p', { class: 'see-step' }, t('landing.seeStep', st.see_step)));
  } else if (!Array.isArray(st.offers) || !st.offers.length) {
    li.appendChild(el('p', { class: 'no-offers' }, t('landing.noOffers')));
  } else {
    /* a report of every offer shows them all for the step asked, the first
     * PER_STEP for the others */
    const all = state.more === st.rule;
    const shown = all || !state.reportAll ? st.offers : st.offers.slice(0, PER_STEP);
    const more = (Number(st.more) || 0) + st.offers.length - shown.length;
    li.appendChild(el('p', { class: 'who-helps' }, all ? t('landing.all', st.offers.length)
      : t('landing.whoHelps', String(st.need_label || st.need))));
    li.appendChild(el('ul', { class: 'offers' }, shown.map(offerCard)));
    if (more > 0 && !all) li.appendChild(moreLink(st, more));
    /* past what one answer holds (100 a step): say so, as plain text */
    else if (more > 0) li.appendChild(el('p', { class: 'more' }, t('landing.more', more)));
  }
  return li;
}

function drawReport() {
  const box = clear($('landing-report'));
  const r = state.report;
  if (!r) return;
  const print = el('button', { type: 'button', class: 'secondary', 'data-test': 'landing-print' }, t('landing.print'));
  print.addEventListener('click', () => window.print());
  const toPlan = el('button', { type: 'button', class: 'primary', 'data-test': 'landing-make-plan' }, t('landing.makePlan'));
  toPlan.addEventListener('click', onMakePlan);
  box.appendChild(el('h2', { id: 'landing-report-title', tabindex: '-1' }, t('landing.report')));
  box.appendChild(el('p', { class: 'lead', 'data-test': 'landing-summary' }, t('landing.summary', r.in_place, r.to_prepare)));
  box.appendChild(el('ol', { class: 'landing-steps', 'data-test': 'landing-steps' }, (r.steps || []).map(stepItem)));
  box.appendChild(el('div', { class: 'actions' }, toPlan, print));
}

/* ---- the to-do list from the report ---------------------------------------------- */

/* The report's profile as the questionnaire saves one, in the page's
 * language: the node made it and checked it against profile.schema.json
 * (screen_report), so every member is one a profile holds; a list of
 * them here had to grow with each new answer. */
function reportProfile(r) {
  const from = r && r.profile && typeof r.profile === 'object' ? r.profile : {};
  const p = {};
  /* not its needs: the report's steps are its own, and the to-do list
   * is the adviser's path for these answers (a freelancer's report
   * matched two needs; the list proposes the landing desk, the
   * paperwork, the money and the rest, in the order they come) */
  for (const [k, v] of Object.entries(from)) if (k !== 'needs') p[k] = v;
  p.lang = lang;
  return p;
}

/* The report's profile becomes the starter's: saved, the questionnaire
 * filled with it, and the to-do list it makes opened.  The node checks it
 * first; nothing is saved if it is refused. */
async function makePlan(button) {
  const profile = reportProfile(state.report);
  button.disabled = true;
  say(t('q.sending'));
  try {
    await startList(profile);
    fillForm(profile);
  } catch (e) {
    sayError(e);
  } finally {
    button.disabled = false;
  }
}

/* A to-do list there already is replaced only if the starter says so. */
function onMakePlan(ev) {
  const button = ev.currentTarget;
  if (!state.report) return;
  if (!savedProfile()) {
    makePlan(button);
    return;
  }
  sayChoice(t('landing.replaceAsk'), [
    { label: t('landing.replaceYes'), test: 'landing-replace-yes', primary: true, fn: () => makePlan(button) },
    { label: t('landing.replaceNo'), test: 'landing-replace-no', fn: () => {
      say(t('landing.kept'));
      button.focus();
    } },
  ]);
}

/* The report of answers: PER_STEP offers a step, or all (per_step=0) when
 * a step's are all asked for. */
async function makeReport(answers) {
  const all = !!state.more;
  state.report = await api('api/v1/screen?per_step=' + (all ? 0 : PER_STEP), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ answers, lang }),
  });
  state.reportLang = lang;
  state.reportAll = all;
}

async function onSubmit(ev) {
  ev.preventDefault();
  const { answers, errors } = readForm();
  drawErrors(errors);
  if (errors.length) {
    say('');
    $('landing-errors').focus();
    return;
  }
  store.set(KEY, answers);
  const button = ev.target.querySelector('[type="submit"]');
  button.disabled = true;
  say(t('landing.sending'));
  try {
    await makeReport(answers);
    drawReport();
    say(t('landing.ready', (state.report.steps || []).length));
    $('landing-report-title').focus();
  } catch (e) {
    sayError(e);
  } finally {
    button.disabled = false;
  }
}

function forget() {
  store.remove(KEY);
  state.report = null;
  show(route.seq);
  say(t('landing.cleared'));
}

/* ---- the view -------------------------------------------------------------------- */

/* #/landing?more=RULE: the offers of that step, all of them. */
function focusMore() {
  const li = state.more && document.querySelector('[data-test="landing-step"][data-rule="' + CSS.escape(state.more) + '"]');
  if (!li) return;
  const card = li.querySelectorAll('.offers > li')[PER_STEP] || li.querySelector('.offers > li');
  const h = card ? card.querySelector('h4') : li.querySelector('h3');
  h.setAttribute('tabindex', '-1');
  h.focus({ preventScroll: true });
  h.scrollIntoView({ block: 'start' });
}

async function show(seq, params) {
  const view = clear($('view-landing'));
  state.more = (params && params.get('more')) || null;
  busy(true);
  try {
    if (!state.screening) state.screening = await api('api/v1/screening');
    /* a report is in one language, and lists all offers only when asked:
     * made again after a switch, or for a step's offers */
    const answers = saved();
    if (answers && ((state.report && state.reportLang !== lang) || (state.more && !state.reportAll))) {
      await makeReport(answers);
    }
    if (seq !== route.seq) return;
    busy(false);
  } catch (e) {
    if (seq !== route.seq) return;
    sayError(e);
    return;
  }
  const s = state.screening;
  view.appendChild(el('h1', { id: 'landing-title', tabindex: '-1' }, txt(s.title)));
  view.appendChild(el('p', { class: 'lead' }, txt(s.intro)));
  view.appendChild(drawForm());
  showAsked();
  view.appendChild(el('section', { id: 'landing-report', class: 'landing-report', 'data-test': 'landing-report' }));
  drawReport();
  focusMore();
}

addView('landing', { parts: 0, show: (seq, rest, params) => show(seq, params) });
