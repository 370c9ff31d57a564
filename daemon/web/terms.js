/*
 * terms.js — "why this offer": the terms of an offer's score, as the match
 * gives them ("terms": [{what, points}], adding up to "score").
 *
 * The matcher writes each term's "what" in the answer's language
 * (daemon/query/match_out.c, term_text).  The page says the English ones
 * it knows in the page's language by their shape; a term it does not know
 * is shown as the matcher wrote it, marked with the answer's language when
 * that is not the page's, never dropped, so the list still adds up.
 */
import { dateText } from './dates.js';
import { el } from './dom.js';
import { lang, t, txt } from './i18n.js';

/* eligibility_criterion_names (daemon/query/eligibility.h) */
const CRITERIA = ['phases', 'sectors', 'activities', 'areas', 'schools', 'student', 'international',
  'side_activity', 'research', 'takeover', 'bank_refused', 'jobseeker', 'staff_from_abroad',
  'experienced', 'max_company_age', 'min_employees', 'max_employees', 'premises'];
const WHO = { 'students': 'students', 'founders from abroad': 'abroad',
  'starters with a side activity': 'side', 'starters with research results': 'research',
  'those taking over a business': 'takeover', 'those a bank turned down for a loan': 'bank',
  'jobseekers': 'jobseeker', 'employers who bring staff from outside the EU': 'staff',
  'those who have worked in the trade before': 'experienced' };

function crit(c) {
  return CRITERIA.includes(c) ? t('why.crit.' + c) : c;
}

/* The yes/no criteria: the profile's answer of the same name. */
const YES_NO = ['student', 'international', 'side_activity', 'research', 'takeover', 'bank_refused', 'jobseeker',
  'staff_from_abroad', 'experienced'];

/* What an offer prefers that the starter is not (criterion c "failed"), in
 * the starter's words: a yes/no criterion prefers the other answer than the
 * profile's (none given: a "yes"). */
function prefers(c, profile) {
  if (!CRITERIA.includes(c)) return null;
  if (!YES_NO.includes(c)) return t('pref.' + c);
  return t('pref.' + (profile && profile[c] === true ? 'no.' : 'yes.') + c);
}

/* What an offer is made for that the profile does not say (criterion c "unknown"). */
function onlyFor(c) {
  return CRITERIA.includes(c) ? t('only.' + c) : null;
}

/* The criteria of offer o the starter does not meet ("failed": a
 * preference) or does not say ("unknown"), as lines for the card:
 * [{ kind, criterion, text }], failed first. */
export function criterionNotes(o, profile) {
  const c = o && o.criteria && typeof o.criteria === 'object' ? o.criteria : {};
  const out = [];
  for (const kind of ['failed', 'unknown']) {
    const seen = new Set();
    for (const [k, v] of Object.entries(c)) {
      if (v !== kind) continue;
      const words = kind === 'failed' ? prefers(k, profile) : onlyFor(k);
      if (!words || seen.has(words)) continue;
      seen.add(words);
      out.push({ kind, criterion: k, text: kind === 'failed' ? t('fit.failed', words) : t('fit.unknown', words) });
    }
  }
  return out;
}

function lower(s) {
  return s ? s.charAt(0).toLocaleLowerCase() + s.slice(1) : s;
}

/* The known shapes: a pattern and the words it becomes (null: as written). */
const SHAPES = [
  [/^answers your need (.+) in general$/, (m) => t('why.general', m[1])],
  [/^answers a part of your need (.+)$/, (m) => t('why.part', m[1])],
  [/^answers your need (.+)$/, (m) => t('why.exact', m[1])],
  [/^([a-z_]+): restricted, and your profile does not say \(check it\)$/,
    (m) => (onlyFor(m[1]) ? t('why.unknown', lower(onlyFor(m[1]))) : t('why.unknown', crit(m[1])))],
  [/^([a-z_]+): a preference you do not meet$/, (m, p) => (prefers(m[1], p) ? t('why.soft', prefers(m[1], p)) : null)],
  [/^made for this need$/, () => t('why.focus1')],
  [/^made for this need and one other$/, () => t('why.focus2')],
  [/^made for 1 phase, yours$/, () => t('why.phase1')],
  [/^made for 1 sector, yours$/, () => t('why.sector1')],
  [/^made for 1 kind of business, yours$/, () => t('why.activity1')],
  [/^made for (\d+) phases?, yours among them$/, (m) => t(m[1] === '1' ? 'why.phase1' : 'why.phases', m[1])],
  [/^made for (\d+) sectors?, yours among them$/, (m) => t(m[1] === '1' ? 'why.sector1' : 'why.sectors', m[1])],
  [/^made for (\d+) kinds? of business, yours among them$/, (m) => t(m[1] === '1' ? 'why.activity1' : 'why.activities', m[1])],
  [/^only for (.+), as you are$/, (m) => (WHO[m[1]] ? t('why.only', t('why.who.' + WHO[m[1]])) : null)],
  [/^only for the students of a few schools, yours among them$/, () => t('why.school')],
  [/^step (\d+) of your list$/, (m) => t('why.step', m[1])],
  [/^offered in (Dutch|English)$/, (m) => t('why.lang', t('why.lang.' + m[1]))],
  [/^not offered in (Dutch|English), but in another language you speak$/, (m) => t('why.langOther', t('why.lang.' + m[1]))],
  [/^not offered in (Dutch|English), nor in another language you speak$/, (m) => t('why.langNone', t('why.lang.' + m[1]))],
  [/^free$/, () => t('why.free')],
  [/^next event on this: (.+) on ([0-9]{4}-[0-9]{2}-[0-9]{2})$/, (m) => t('why.event', m[1], dateText(m[2] + 'T12:00:00Z'))],
];

/* A term's words in the page's language: { text, lang } (lang: the
 * language it is in when that is not the page's).  from: the answer's
 * language (default English); profile: the starter's answers (which way
 * a yes/no preference goes). */
export function termText(what, from, profile) {
  const s = String(what);
  for (const [re, fn] of SHAPES) {
    const m = re.exec(s);
    if (!m) continue;
    const text = fn(m, profile);
    if (text) return { text, lang: null };
  }
  const written = from === 'nl' ? 'nl' : 'en';
  return { text: s, lang: lang === written ? null : written };
}

function points(n) {
  return n > 0 ? '+' + n : n < 0 ? '−' + Math.abs(n) : '0';
}

/* The "why this offer" disclosure for offer o (in an answer in language
 * from): every term and the total. */
export function whyBlock(o, from, profile) {
  const terms = Array.isArray(o.terms) ? o.terms.filter((x) => x && typeof x.points === 'number') : [];
  if (!terms.length) return null;
  const score = typeof o.score === 'number' ? o.score : terms.reduce((a, x) => a + x.points, 0);
  const rows = terms.map((x) => {
    const w = termText(x.what, from, profile);
    return el('tr', { 'data-test': 'why-term', 'data-points': x.points },
      el('td', w.lang ? { lang: w.lang } : null, w.text),
      el('td', { class: 'num' }, points(x.points)));
  });
  return el('details', { class: 'why', 'data-test': 'why' },
    el('summary', null, t('why.title', score),
      txt(o.name) ? el('span', { class: 'vh' }, ': ' + txt(o.name)) : null),
    el('table', null,
      el('caption', { class: 'vh' }, t('why.caption')),
      el('thead', null, el('tr', null, el('th', { scope: 'col' }, t('why.what')), el('th', { scope: 'col', class: 'num' }, t('why.points')))),
      el('tbody', null, rows),
      el('tfoot', null, el('tr', null, el('th', { scope: 'row' }, t('why.total')),
        el('td', { class: 'num', 'data-test': 'why-score' }, String(score))))));
}
