/*
 * gilde: the starter's page, started here (index.html loads this module;
 * the others are imported from it: the CSP's 'self' allows them).
 *
 * Talks only to the node that serves it (proto/API.md, relative paths so
 * that the page also works below a path prefix). Everything a partner wrote
 * is put in the page with createElement/textContent, never as HTML: records
 * come from other organisations. The starter's profile and ticks stay in
 * this browser (localStorage); the profile goes to the node only as the
 * body of POST /api/v1/match, which the node does not keep.
 *
 * The modules, each one job:
 *   words.js, i18n.js  the texts and the language     local.js   localStorage
 *   dom.js     building elements, safe links          api.js     fetch, errors
 *   status.js  the status region                       data.js    taxonomy, partners
 *   dates.js   Brussels dates                          router.js  hash routes
 *   form.js    the questionnaire                       plan.js    the to-do list
 *   offer.js   an offer in the list                    contact.js how to reach a partner
 *   ask.js     asking for an appointment (e-mail)      terms.js   why this offer
 *   planstate.js  ticks, choices, notes; the plan file
 *   events.js, search.js, news.js, partners.js         the other views
 *   insight.js  asking once, the anonymous steps (issue 26)
 *   insightview.js  the figures for the city and partners (#/insight)
 */
import { query } from './api.js';
import { loadTaxonomy, termLabel } from './data.js';
import { $ } from './dom.js';
import { showEvents } from './events.js';
import { setupAsk } from './ask.js';
import { buildForm, fillForm, onBack, onEnter, onNext, onReset, onSubmit, showHome } from './form.js';
import { lang, setLang, t } from './i18n.js';
import { KEYS, store } from './local.js';
import { showNews } from './news.js';
import { showPartner, showPartners } from './partners.js';
import { forgetPlan, onAddStep, onExport, onImport, onProposed, onTick, showPlan } from './plan.js';
import { showInsight } from './insightview.js';
import { go, route, setViews } from './router.js';
import { showSearch } from './search.js';
import { sayError } from './status.js';

/* The views by route name: how many path segments follow, and what draws it. */
const VIEWS = {
  home: {
    parts: 0,
    show: (seq, rest, params) => {
      $('saved-plan').hidden = !store.get(KEYS.profile, null);
      showHome(params);
    },
  },
  plan: { parts: 0, show: (seq) => showPlan(seq) },
  events: { parts: 0, show: (seq, rest, params) => showEvents(seq, params) },
  search: { parts: 0, show: (seq, rest, params) => showSearch(seq, params) },
  news: { parts: 0, show: (seq) => showNews(seq) },
  partners: { parts: 0, show: (seq) => showPartners(seq) },
  partner: { parts: 2, show: (seq, rest) => showPartner(seq, rest[0], rest[1]) },
  insight: { parts: 0, show: (seq) => showInsight(seq) },
};

function applyLang() {
  document.documentElement.setAttribute('lang', lang);
  for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.getAttribute('data-i18n'));
  for (const e of document.querySelectorAll('[data-i18n-aria]')) e.setAttribute('aria-label', t(e.getAttribute('data-i18n-aria')));
  for (const e of document.querySelectorAll('[data-term]')) {
    const [facet, id] = e.getAttribute('data-term').split(':');
    e.textContent = termLabel(facet, id);
  }
  const sw = $('lang-switch');
  const other = lang === 'nl' ? 'en' : 'nl';
  sw.textContent = t('lang.other');
  sw.setAttribute('lang', other);
  sw.setAttribute('title', t('lang.otherTitle'));
  $('footer-ics').setAttribute('href', 'events.ics' + query({ lang }));
  $('footer-atom').setAttribute('href', 'news.atom' + query({ lang }));
  for (const link of document.querySelectorAll('link[rel="alternate"]')) link.setAttribute('href', 'news.atom' + query({ lang }));
}

function switchLang() {
  setLang(lang === 'nl' ? 'en' : 'nl');
  applyLang();
  route({ keepFocus: true });
}

async function start() {
  setViews(VIEWS);
  applyLang();
  $('lang-switch').addEventListener('click', switchLang);
  /* on a phone the menu folds behind one button (style.css) */
  const menu = (open) => {
    document.querySelector('header.site').classList.toggle('menu-open', open);
    $('menu-toggle').setAttribute('aria-expanded', String(open));
  };
  $('menu-toggle').addEventListener('click', () => menu($('menu-toggle').getAttribute('aria-expanded') !== 'true'));
  $('nav').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && $('menu-toggle').getAttribute('aria-expanded') === 'true') {
      menu(false);
      $('menu-toggle').focus();
    }
  });
  window.addEventListener('hashchange', () => menu(false));
  $('questionnaire').addEventListener('submit', onSubmit);
  $('questionnaire').addEventListener('keydown', onEnter);
  $('questionnaire').addEventListener('reset', onReset);
  $('q-next').addEventListener('click', onNext);
  $('q-back').addEventListener('click', onBack);
  $('todo').addEventListener('change', onTick);
  $('plan-forget').addEventListener('click', forgetPlan);
  $('add-step').addEventListener('submit', onAddStep);
  $('plan-proposed').addEventListener('click', onProposed);
  $('plan-export').addEventListener('click', onExport);
  $('plan-print').addEventListener('click', () => window.print());
  $('plan-import').addEventListener('change', onImport);
  setupAsk();
  $('plan-retry-button').addEventListener('click', () => route());
  $('event-filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    go('#/events' + query({ sector: $('event-sector').value, phase: $('event-phase').value }), true);
  });
  for (const id of ['event-sector', 'event-phase']) {
    $(id).addEventListener('change', () => {
      go('#/events' + query({ sector: $('event-sector').value, phase: $('event-phase').value }), true);
    });
  }
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = $('search-q').value.trim();
    if (!q) {
      $('search-q').focus();
      return;
    }
    go('#/search' + query({ q, kind: $('search-kind').value }), true);
  });
  window.addEventListener('hashchange', () => route());

  try {
    await loadTaxonomy();
  } catch (e) {
    sayError(e, t('err.taxonomy'));
    return;
  }
  buildForm();
  applyLang();
  fillForm(store.get(KEYS.profile, null));
  document.body.classList.add('ready');
  route({ keepFocus: true });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
