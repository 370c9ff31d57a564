/*
 * gilde: the starter's page.
 *
 * Talks only to the node that serves it (proto/API.md, relative paths so
 * that the page also works below a path prefix). Everything a partner wrote
 * is put in the page with createElement/textContent, never as HTML: records
 * come from other organisations. The starter's profile and ticks stay in
 * this browser (localStorage); the profile goes to the node only as the
 * body of POST /api/v1/match, which the node does not keep.
 */
'use strict';

(function () {
  const LANGS = ['nl', 'en'];
  const KEYS = { lang: 'gilde.lang', profile: 'gilde.profile', ticks: 'gilde.ticks' };
  const MAX_NEEDS = 8;          /* profile.schema.json: needs maxItems */
  const PER_ITEM = 5;           /* offers shown per to-do item until "show more" */
  const TZ = 'Europe/Brussels';
  const KINDS = ['partner', 'offer', 'event', 'news'];

  /* ---- the words ---------------------------------------------------------- */

  const I18N = {
    en: {
      'doc.title': 'gilde: help for starters in Ghent',
      'skip': 'Skip to the content',
      'brand.tag': 'Help for starters, from partners in and around Ghent',
      'lang.other': 'Nederlands',
      'lang.otherTitle': 'Deze pagina in het Nederlands',
      'nav.label': 'Main',
      'nav.home': 'Questions',
      'nav.plan': 'To-do list',
      'nav.events': 'Events',
      'nav.search': 'Search',
      'nav.news': 'News',
      'nav.partners': 'Partners',
      'yes': 'Yes',
      'no': 'No',
      'home.title': 'What do you need to start your business?',
      'home.intro': 'Answer a few questions and get a to-do list with the organisations in and around Ghent that can help you.',
      'home.saved': 'Your last to-do list is kept in this browser.',
      'home.showPlan': 'Show my to-do list',
      'q.phase': 'In which phase is your business?',
      'q.required': '(required)',
      'q.optional': '(optional)',
      'q.sectors': 'In which sector or sectors?',
      'q.sectorsHint': 'Tick all that apply.',
      'q.student': 'Are you a student?',
      'q.international': 'Are you coming from abroad, as an international founder?',
      'q.more': 'A little more about your business',
      'q.activity': 'What kind of business?',
      'q.area': 'Where are you, or will you be, based?',
      'q.age': 'How old is your company, in whole years?',
      'q.ageHint': '0 if it is not founded yet or was founded less than a year ago.',
      'q.noAnswer': '(no answer)',
      'q.needs': 'What do you need help with?',
      'q.needsHint': 'Tick up to 8. The indented items are more specific.',
      'q.privacy': 'Your answers are only used to make your list: the node forgets them at once. The list and your ticks are kept in this browser only.',
      'q.submit': 'Make my to-do list',
      'q.reset': 'Clear the answers',
      'q.err.phase': 'Choose the phase your business is in.',
      'q.err.needs': 'Tick at least one thing you need help with.',
      'q.err.tooMany': 'Tick at most {0} needs; you ticked {1}.',
      'q.err.age': 'The age is a whole number from 0 to 100.',
      'q.err.form': 'Please check the answers marked in the form.',
      'q.sending': 'Making your to-do list…',
      'plan.title': 'Your to-do list',
      'plan.none': 'You have no to-do list yet.',
      'plan.fill': 'Answer the questions',
      'plan.intro': 'One step per need, with the offers that fit you best first. Tick a step off when it is done.',
      'plan.ticksLocal': 'Your ticks are kept only in this browser and never sent anywhere.',
      'plan.basedOn': 'Based on your answers: {0}.',
      'plan.progress': '{0} of {1} done',
      'plan.tick': 'Done:',
      'plan.doneBadge': 'Done',
      'plan.noOffers': 'No offer in the directory fits this need for you yet. Ask the city\'s business desk, or search the directory.',
      'plan.more': 'Show {0} more',
      'plan.change': 'Change my answers',
      'plan.forget': 'Forget my answers and ticks',
      'plan.forgotten': 'Your answers and ticks are removed from this browser.',
      'plan.retry': 'Try again',
      'plan.ready': 'Your to-do list is ready: {0} steps.',
      'p.phase': 'phase',
      'p.student': 'student',
      'p.international': 'international founder',
      'p.age': '{0} years old',
      'offer.by': 'Partner:',
      'offer.free': 'Free',
      'offer.website': 'Website',
      'offer.email': 'E-mail',
      'offer.phone': 'Phone',
      'offer.languages': 'Languages: {0}',
      'offer.fit.exactly': 'Fits this need exactly',
      'offer.fit.in part': 'Fits part of this need',
      'offer.fit.in general': 'Helps with this need in general',
      'offer.for': 'For: {0}',
      'events.title': 'Upcoming events',
      'events.sector': 'Sector',
      'events.phase': 'Phase',
      'events.all': 'All',
      'events.apply': 'Show',
      'events.icsAll': 'Add these events to my calendar (.ics)',
      'events.icsHint': 'A calendar app can also subscribe to this link, so that new events appear by themselves.',
      'events.none': 'No upcoming events.',
      'event.ics': 'Add to my calendar (.ics)',
      'event.register': 'Register',
      'event.online': 'Online',
      'event.cancelled': 'Cancelled',
      'event.more': 'More about this event',
      'event.by': 'By',
      'event.where': 'Where:',
      'search.title': 'Search the directory',
      'search.label': 'Search for',
      'search.kind': 'Kind',
      'search.all': 'Everything',
      'search.button': 'Search',
      'search.count': '{0} results for “{1}”.',
      'search.none': 'Nothing found for “{0}”.',
      'kind.partner': 'Partner',
      'kind.offer': 'Offer',
      'kind.event': 'Event',
      'kind.news': 'News',
      'news.title': 'News',
      'news.atom': 'Follow the news (Atom feed)',
      'news.none': 'No news yet.',
      'news.read': 'Read more on the partner\'s site',
      'news.body': 'Read the whole item',
      'partners.title': 'Partners',
      'partners.intro': 'The organisations in this directory and what they offer to starters.',
      'partners.none': 'No partners yet.',
      'partners.offers': 'Offers: {0}',
      'partner.back': 'All partners',
      'partner.contact': 'Contact',
      'partner.website': 'Website',
      'partner.email': 'E-mail',
      'partner.phone': 'Phone',
      'partner.address': 'Address',
      'partner.sectors': 'Sectors',
      'partner.areas': 'Works in',
      'partner.languages': 'Languages',
      'partner.offers': 'What they offer',
      'partner.noOffers': 'This partner lists no offers at the moment.',
      'partner.events': 'Upcoming events',
      'partner.news': 'News',
      'missing.title': 'This page does not exist',
      'missing.home': 'Go to the questions',
      'loading': 'Loading…',
      'err.network': 'The node could not be reached. Check your connection and try again.',
      'err.api': 'The node answered with an error ({0}): {1}',
      'err.retry': 'Please try again in {0} seconds.',
      'err.taxonomy': 'The questions could not be loaded.',
      'footer.privacy': 'Your answers and ticks stay in this browser. This page loads nothing from outside this node.',
      'footer.ics': 'Events calendar (.ics)',
      'footer.atom': 'News feed (Atom)',
      'footer.about': 'The records come from the partner organisations themselves; each partner keeps its own records up to date.',
      'lang.nl': 'Dutch',
      'lang.en': 'English',
      'lang.fr': 'French',
      'lang.de': 'German',
    },
    nl: {
      'doc.title': 'gilde: hulp voor starters in Gent',
      'skip': 'Naar de inhoud',
      'brand.tag': 'Hulp voor starters, van partners in en rond Gent',
      'lang.other': 'English',
      'lang.otherTitle': 'This page in English',
      'nav.label': 'Hoofdmenu',
      'nav.home': 'Vragen',
      'nav.plan': 'Takenlijst',
      'nav.events': 'Evenementen',
      'nav.search': 'Zoeken',
      'nav.news': 'Nieuws',
      'nav.partners': 'Partners',
      'yes': 'Ja',
      'no': 'Nee',
      'home.title': 'Wat heb je nodig om je zaak te starten?',
      'home.intro': 'Beantwoord enkele vragen en krijg een takenlijst met de organisaties in en rond Gent die je kunnen helpen.',
      'home.saved': 'Je laatste takenlijst wordt in deze browser bewaard.',
      'home.showPlan': 'Toon mijn takenlijst',
      'q.phase': 'In welke fase zit je zaak?',
      'q.required': '(verplicht)',
      'q.optional': '(niet verplicht)',
      'q.sectors': 'In welke sector of sectoren?',
      'q.sectorsHint': 'Vink alles aan wat past.',
      'q.student': 'Ben je student?',
      'q.international': 'Kom je uit het buitenland, als internationale ondernemer?',
      'q.more': 'Nog iets meer over je zaak',
      'q.activity': 'Wat voor zaak?',
      'q.area': 'Waar ben je gevestigd, of waar kom je?',
      'q.age': 'Hoe oud is je bedrijf, in hele jaren?',
      'q.ageHint': '0 als het nog niet opgericht is of minder dan een jaar geleden opgericht werd.',
      'q.noAnswer': '(geen antwoord)',
      'q.needs': 'Waarbij wil je hulp?',
      'q.needsHint': 'Vink er hoogstens 8 aan. De ingesprongen punten zijn specifieker.',
      'q.privacy': 'Je antwoorden dienen alleen om je lijst te maken: de node vergeet ze meteen. De lijst en je vinkjes blijven alleen in deze browser.',
      'q.submit': 'Maak mijn takenlijst',
      'q.reset': 'Wis de antwoorden',
      'q.err.phase': 'Kies de fase waarin je zaak zit.',
      'q.err.needs': 'Vink minstens één ding aan waarbij je hulp wilt.',
      'q.err.tooMany': 'Vink hoogstens {0} noden aan; je vinkte er {1} aan.',
      'q.err.age': 'De leeftijd is een geheel getal van 0 tot 100.',
      'q.err.form': 'Kijk de gemarkeerde antwoorden in het formulier na.',
      'q.sending': 'Je takenlijst wordt gemaakt…',
      'plan.title': 'Jouw takenlijst',
      'plan.none': 'Je hebt nog geen takenlijst.',
      'plan.fill': 'Beantwoord de vragen',
      'plan.intro': 'Eén stap per nood, met het aanbod dat het best bij je past eerst. Vink een stap af als hij klaar is.',
      'plan.ticksLocal': 'Je vinkjes blijven alleen in deze browser en worden nergens naartoe gestuurd.',
      'plan.basedOn': 'Op basis van je antwoorden: {0}.',
      'plan.progress': '{0} van {1} klaar',
      'plan.tick': 'Klaar:',
      'plan.doneBadge': 'Klaar',
      'plan.noOffers': 'Er is in de gids nog geen aanbod dat voor jou bij deze nood past. Vraag het aan het Ondernemerspunt van de stad, of zoek in de gids.',
      'plan.more': 'Toon er nog {0}',
      'plan.change': 'Mijn antwoorden wijzigen',
      'plan.forget': 'Vergeet mijn antwoorden en vinkjes',
      'plan.forgotten': 'Je antwoorden en vinkjes zijn uit deze browser gewist.',
      'plan.retry': 'Opnieuw proberen',
      'plan.ready': 'Je takenlijst is klaar: {0} stappen.',
      'p.phase': 'fase',
      'p.student': 'student',
      'p.international': 'internationale ondernemer',
      'p.age': '{0} jaar oud',
      'offer.by': 'Partner:',
      'offer.free': 'Gratis',
      'offer.website': 'Website',
      'offer.email': 'E-mail',
      'offer.phone': 'Telefoon',
      'offer.languages': 'Talen: {0}',
      'offer.fit.exactly': 'Past precies bij deze nood',
      'offer.fit.in part': 'Past bij een deel van deze nood',
      'offer.fit.in general': 'Helpt in het algemeen bij deze nood',
      'offer.for': 'Voor: {0}',
      'events.title': 'Komende evenementen',
      'events.sector': 'Sector',
      'events.phase': 'Fase',
      'events.all': 'Alle',
      'events.apply': 'Toon',
      'events.icsAll': 'Zet deze evenementen in mijn agenda (.ics)',
      'events.icsHint': 'Een agenda-app kan zich ook op deze link abonneren, zodat nieuwe evenementen vanzelf verschijnen.',
      'events.none': 'Geen komende evenementen.',
      'event.ics': 'In mijn agenda zetten (.ics)',
      'event.register': 'Inschrijven',
      'event.online': 'Online',
      'event.cancelled': 'Geannuleerd',
      'event.more': 'Meer over dit evenement',
      'event.by': 'Door',
      'event.where': 'Waar:',
      'search.title': 'Zoeken in de gids',
      'search.label': 'Zoek naar',
      'search.kind': 'Soort',
      'search.all': 'Alles',
      'search.button': 'Zoeken',
      'search.count': '{0} resultaten voor “{1}”.',
      'search.none': 'Niets gevonden voor “{0}”.',
      'kind.partner': 'Partner',
      'kind.offer': 'Aanbod',
      'kind.event': 'Evenement',
      'kind.news': 'Nieuws',
      'news.title': 'Nieuws',
      'news.atom': 'Volg het nieuws (Atom-feed)',
      'news.none': 'Nog geen nieuws.',
      'news.read': 'Lees meer op de site van de partner',
      'news.body': 'Lees het hele bericht',
      'partners.title': 'Partners',
      'partners.intro': 'De organisaties in deze gids en wat ze starters aanbieden.',
      'partners.none': 'Nog geen partners.',
      'partners.offers': 'Aanbod: {0}',
      'partner.back': 'Alle partners',
      'partner.contact': 'Contact',
      'partner.website': 'Website',
      'partner.email': 'E-mail',
      'partner.phone': 'Telefoon',
      'partner.address': 'Adres',
      'partner.sectors': 'Sectoren',
      'partner.areas': 'Werkt in',
      'partner.languages': 'Talen',
      'partner.offers': 'Wat ze aanbieden',
      'partner.noOffers': 'Deze partner heeft op dit moment geen aanbod in de gids.',
      'partner.events': 'Komende evenementen',
      'partner.news': 'Nieuws',
      'missing.title': 'Deze pagina bestaat niet',
      'missing.home': 'Naar de vragen',
      'loading': 'Laden…',
      'err.network': 'De node is niet bereikbaar. Controleer je verbinding en probeer opnieuw.',
      'err.api': 'De node antwoordde met een fout ({0}): {1}',
      'err.retry': 'Probeer opnieuw over {0} seconden.',
      'err.taxonomy': 'De vragen konden niet geladen worden.',
      'footer.privacy': 'Je antwoorden en vinkjes blijven in deze browser. Deze pagina laadt niets van buiten deze node.',
      'footer.ics': 'Evenementenkalender (.ics)',
      'footer.atom': 'Nieuwsfeed (Atom)',
      'footer.about': 'De gegevens komen van de partnerorganisaties zelf; elke partner houdt zijn eigen gegevens bij.',
      'lang.nl': 'Nederlands',
      'lang.en': 'Engels',
      'lang.fr': 'Frans',
      'lang.de': 'Duits',
    },
  };

  /* ---- small helpers ------------------------------------------------------ */

  const $ = (id) => document.getElementById(id);

  const store = {
    get(key, fallback) {
      try {
        const v = window.localStorage.getItem(key);
        return v === null ? fallback : JSON.parse(v);
      } catch (e) {
        return fallback;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, JSON.stringify(value));
      } catch (e) { /* storage full or disabled: the page still works, it just forgets */ }
    },
    remove(key) {
      try {
        window.localStorage.removeItem(key);
      } catch (e) { /* ignore */ }
    },
  };

  function pickLang() {
    const saved = store.get(KEYS.lang, null);
    if (LANGS.includes(saved)) return saved;
    const nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
    return nav.toLowerCase().startsWith('nl') ? 'nl' : 'en';
  }

  let lang = pickLang();

  function t(key, ...args) {
    let s = I18N[lang][key];
    if (s === undefined) s = I18N.en[key];
    if (s === undefined) s = key;
    return s.replace(/\{(\d)\}/g, (m, i) => (args[i] === undefined ? m : String(args[i])));
  }

  function has(key) {
    return Object.prototype.hasOwnProperty.call(I18N.en, key);
  }

  /* A record text: a language map (the chosen language, else the other, else
   * any) or, as some answers carry, a plain string. */
  function txt(v) {
    if (typeof v === 'string') return v;
    if (!v || typeof v !== 'object') return '';
    for (const l of [lang, ...LANGS]) {
      if (typeof v[l] === 'string' && v[l]) return v[l];
    }
    for (const k of Object.keys(v)) {
      if (typeof v[k] === 'string' && v[k]) return v[k];
    }
    return '';
  }

  /* Which language txt(v) picked, so that the element can say so (lang=). */
  function txtLang(v) {
    if (!v || typeof v !== 'object') return null;
    for (const l of [lang, ...LANGS, ...Object.keys(v)]) {
      if (typeof v[l] === 'string' && v[l]) return l;
    }
    return null;
  }

  function locale() {
    return lang === 'nl' ? 'nl-BE' : 'en-GB';
  }

  /* el('a', {href: x, class: 'y'}, 'text', child, ...): attributes are set
   * with setAttribute, strings become text nodes; nothing is parsed as HTML. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(e, children);
    return e;
  }

  function append(parent, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) append(parent, c);
      else parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return parent;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /* A text from a record, in an element that says which language it is in. */
  function recText(tag, attrs, v) {
    const e = el(tag, attrs, txt(v));
    const l = txtLang(v);
    if (l && l !== lang) e.setAttribute('lang', l);
    return e;
  }

  /* Paragraphs of a long text, split on blank lines. */
  function paragraphs(v, cls) {
    const l = txtLang(v);
    return txt(v).split(/\n\s*\n/).filter((p) => p.trim()).map((p) => {
      const e = el('p', { class: cls }, p.trim());
      if (l && l !== lang) e.setAttribute('lang', l);
      return e;
    });
  }

  /* Only http(s) addresses become links: a record could carry anything. */
  function safeUrl(u) {
    return typeof u === 'string' && /^https?:\/\/[^\s]+$/i.test(u) ? u : null;
  }

  /* about: what the link is about, so that a screen reader's list of links
   * says "Website: imec.istart", not "Website" ten times. */
  function extLink(u, label, attrs, about) {
    const href = safeUrl(u);
    if (!href) return null;
    const a = el('a', Object.assign({ href, rel: 'noopener noreferrer external', class: 'ext' }, attrs || {}), label);
    if (about) a.setAttribute('aria-label', label + ': ' + about);
    return a;
  }

  function mailLink(m) {
    if (typeof m !== 'string' || !/^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/.test(m)) return null;
    return el('a', { href: 'mailto:' + m }, m);
  }

  function phoneLink(p) {
    if (typeof p !== 'string' || !/^[+]?[0-9 ./()-]{6,20}$/.test(p)) return null;
    return el('a', { href: 'tel:' + p.replace(/[^0-9+]/g, '') }, p);
  }

  /* Path segments of ids and keys: slugs and base64url keys need no escaping,
   * but anything else is escaped all the same (':' stays readable). */
  function seg(s) {
    return encodeURIComponent(String(s)).replace(/%3A/gi, ':');
  }

  function partnerHref(author, id) {
    return '#/partner/' + seg(author) + '/' + seg(id);
  }

  function badge(text, cls) {
    return el('span', { class: 'badge ' + (cls || '') }, text);
  }

  /* ---- the API ------------------------------------------------------------ */

  class ApiError extends Error {
    constructor(status, message, retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  async function api(path, options) {
    let res;
    try {
      res = await fetch(path, Object.assign({
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        cache: 'no-store',
      }, options || {}));
    } catch (e) {
      throw new ApiError(0, null);
    }
    let body = null;
    try {
      body = await res.json();
    } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const msg = body && body.error && typeof body.error.message === 'string'
        ? body.error.message : res.statusText || String(res.status);
      throw new ApiError(res.status, msg, res.headers.get('Retry-After'));
    }
    if (!body || typeof body !== 'object') throw new ApiError(res.status, 'the answer is not JSON');
    return body;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  /* ---- the status region (polite, for errors and progress) ---------------- */

  let busyTimer = null;

  function say(text, isError) {
    clearTimeout(busyTimer);
    const box = $('status');
    clear(box);
    box.classList.toggle('error', !!isError);
    box.classList.toggle('busy', false);
    if (text) {
      for (const line of String(text).split('\n')) box.appendChild(el('p', null, line));
    }
  }

  function busy(on) {
    clearTimeout(busyTimer);
    if (on) {
      /* only announce loading if it takes a moment */
      busyTimer = setTimeout(() => {
        say(t('loading'));
        $('status').classList.add('busy');
      }, 300);
    } else if ($('status').classList.contains('busy')) {
      say('');
    }
  }

  function errorText(err) {
    if (!(err instanceof ApiError)) {
      if (window.console) console.error(err);
      return String(err && err.message ? err.message : err);
    }
    if (err.status === 0) return t('err.network');
    let text = t('err.api', err.status, err.message);
    if (err.retryAfter && /^\d+$/.test(err.retryAfter)) text += '\n' + t('err.retry', err.retryAfter);
    return text;
  }

  function sayError(err, prefix) {
    say((prefix ? prefix + '\n' : '') + errorText(err), true);
  }

  /* ---- shared data (fetched once per page load) --------------------------- */

  const cache = { taxonomy: null, partners: null, offers: null };

  async function loadTaxonomy() {
    if (!cache.taxonomy) cache.taxonomy = await api('api/v1/taxonomy');
    return cache.taxonomy;
  }

  function terms(facet) {
    const list = cache.taxonomy && cache.taxonomy[facet];
    return Array.isArray(list) ? list : [];
  }

  function termLabel(facet, id) {
    const term = terms(facet).find((x) => x.id === id);
    return term ? txt(term.label) || id : id;
  }

  /* author/id -> partner record; failures only cost the partner names. */
  async function loadPartners() {
    if (!cache.partners) {
      const ans = await api('api/v1/partners');
      const map = new Map();
      for (const p of ans.partners || []) map.set(p.author + '/' + p.id, p);
      cache.partners = { list: ans.partners || [], map };
    }
    return cache.partners;
  }

  async function partnersOrNothing() {
    try {
      return await loadPartners();
    } catch (e) {
      return { list: [], map: new Map() };
    }
  }

  /* author/id -> offer record: the match names an offer's partner by its
   * display name only, this gives its id (for the link) and its texts in
   * both languages. */
  async function offersOrNothing() {
    if (!cache.offers) {
      try {
        const ans = await api('api/v1/offers');
        const map = new Map();
        for (const o of ans.offers || []) map.set(o.author + '/' + o.id, o);
        cache.offers = map;
      } catch (e) {
        return new Map();
      }
    }
    return cache.offers;
  }

  function partnerOf(rec, partners) {
    if (!rec || !rec.partner || !partners) return null;
    return partners.map.get(rec.author + '/' + rec.partner) || null;
  }

  /* "Partner: <link>" for a record that belongs to a partner. */
  function partnerLine(rec, partners, prefix) {
    const p = partnerOf(rec, partners);
    if (!p && !rec.partner) return null;
    const name = p ? txt(p.name) : rec.partner;
    return el('p', { class: 'by' }, prefix ? prefix + ' ' : '',
      el('a', { href: partnerHref(rec.author, rec.partner), 'data-test': 'partner-link' }, name));
  }

  /* ---- dates, always shown in Brussels time -------------------------------- */

  function dtf(opts) {
    return new Intl.DateTimeFormat(locale(), Object.assign({ timeZone: TZ }, opts));
  }

  function parseTime(s) {
    const d = typeof s === 'string' ? new Date(s) : null;
    return d && !isNaN(d.getTime()) ? d : null;
  }

  function dayKey(d) {
    const parts = {};
    for (const p of new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(d)) parts[p.type] = p.value;
    return parts.year + '-' + parts.month + '-' + parts.day;
  }

  function capitalise(s) {
    return s ? s.charAt(0).toLocaleUpperCase(locale()) + s.slice(1) : s;
  }

  function whenText(startS, endS) {
    const start = parseTime(startS);
    if (!start) return startS || '';
    const end = parseTime(endS);
    const day = dtf({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
    const time = dtf({ hour: '2-digit', minute: '2-digit' });
    let s = capitalise(day.format(start)) + ', ' + time.format(start);
    if (end && end > start) {
      s += dayKey(end) === dayKey(start) ? ' – ' + time.format(end)
        : ' – ' + day.format(end) + ', ' + time.format(end);
    }
    return s;
  }

  function dateText(s) {
    const d = parseTime(s);
    return d ? dtf({ day: 'numeric', month: 'long', year: 'numeric' }).format(d) : (s || '');
  }

  function timeEl(s, text) {
    return el('time', { datetime: parseTime(s) ? s : null }, text);
  }

  /* ---- iCalendar for one event, made here (RFC 5545) ----------------------- */

  function icsEscape(s) {
    return String(s).replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n');
  }

  /* Lines longer than 75 octets are folded, never inside a UTF-8 sequence. */
  function icsFold(line) {
    const enc = new TextEncoder();
    const out = [];
    let cur = '';
    let curLen = 0;
    for (const ch of line) {
      const n = enc.encode(ch).length;
      const limit = out.length ? 74 : 75;  /* continuation lines start with a space */
      if (curLen + n > limit) {
        out.push(cur);
        cur = '';
        curLen = 0;
      }
      cur += ch;
      curLen += n;
    }
    out.push(cur);
    return out.join('\r\n ');
  }

  function icsTime(d) {
    return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  }

  /* The same UID and SEQUENCE as the node's /events.ics (daemon/query/ics.c), so a
   * calendar that has both sees one event. */
  function icsUid(ev) {
    let hex = '';
    const m = /^ed25519:([A-Za-z0-9_-]+)$/.exec(ev.author || '');
    if (m) {
      try {
        const bin = atob(m[1].replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - m[1].length % 4) % 4));
        for (let i = 0; i < bin.length && hex.length < 16; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
      } catch (e) { hex = ''; }
    }
    return ev.id + '@' + (hex || 'unknown') + '.gilde';
  }

  function icsSequence(version) {
    const v = Number(version) || 0;
    if (v < 16777216) return Math.max(0, Math.floor(v));
    const secs = Math.floor(v / 1000);
    const seq = 16777216 + Math.max(0, secs - 1704067200);
    return Math.min(seq, 2147483647);
  }

  /* Venue, street and town; with online too for a calendar (withOnline),
   * the page shows that as a badge. */
  function locationText(ev, withOnline) {
    const loc = ev.location;
    if (!loc || typeof loc !== 'object') return '';
    const a = loc.address && typeof loc.address === 'object' ? loc.address : {};
    const town = [a.postal_code, a.locality].filter(Boolean).join(' ');
    const parts = [loc.name, a.street, town].filter((x) => typeof x === 'string' && x);
    if (withOnline && loc.online === true) parts.push(t('event.online'));
    return parts.join(', ');
  }

  function eventIcs(ev) {
    const start = parseTime(ev.start);
    if (!start) return null;
    const end = parseTime(ev.end);
    const issued = parseTime(ev.issued) || new Date();
    const desc = [txt(ev.description), safeUrl(ev.url)].filter(Boolean).join('\n\n');
    const where = locationText(ev, true);
    const lines = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//gilde//gilde web//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH',
      'BEGIN:VEVENT',
      'UID:' + icsUid(ev),
      'SEQUENCE:' + icsSequence(ev.version),
      'DTSTAMP:' + icsTime(issued),
      'DTSTART:' + icsTime(start),
    ];
    if (end && end > start) lines.push('DTEND:' + icsTime(end));
    lines.push('SUMMARY:' + icsEscape(txt(ev.name)));
    if (desc) lines.push('DESCRIPTION:' + icsEscape(desc));
    if (where) lines.push('LOCATION:' + icsEscape(where));
    if (safeUrl(ev.url)) lines.push('URL:' + ev.url);
    lines.push('STATUS:' + (ev.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'));
    lines.push('END:VEVENT', 'END:VCALENDAR');
    return lines.map(icsFold).join('\r\n') + '\r\n';
  }

  /* Object URLs made for the current view; freed when it is drawn again. */
  let blobUrls = [];
  function freeBlobs() {
    for (const u of blobUrls) URL.revokeObjectURL(u);
    blobUrls = [];
  }

  function icsLink(ev) {
    const text = eventIcs(ev);
    if (!text) return null;
    const url = URL.createObjectURL(new Blob([text], { type: 'text/calendar;charset=utf-8' }));
    blobUrls.push(url);
    const name = String(ev.id).replace(/[^A-Za-z0-9._-]/g, '_') + '.ics';
    return el('a', {
      href: url, download: name, class: 'ics', 'data-test': 'event-ics', type: 'text/calendar',
      'aria-label': t('event.ics') + ': ' + txt(ev.name),
    }, t('event.ics'));
  }

  /* ---- the questionnaire ---------------------------------------------------- */

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

  function buildForm() {
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

  function fillForm(p) {
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

  async function onSubmit(ev) {
    ev.preventDefault();
    for (const [id, input] of [['phase-error', $('fs-phase')], ['needs-error', $('fs-needs')], ['age-error', $('company-age')]]) {
      fieldError(id, input, '');
    }
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
      plan.answer = answer;
      plan.profile = profile;
      plan.expanded = new Set();
      plan.all = false;
      say(t('plan.ready', (answer.items || []).length));
      go('#/plan', false, true);
    } catch (e) {
      sayError(e);
    } finally {
      button.disabled = false;
    }
  }

  /* ---- the to-do list --------------------------------------------------------- */

  const plan = { answer: null, profile: null, expanded: new Set(), all: false };

  function runMatch(profile, all) {
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

  function langNames(list) {
    return (Array.isArray(list) ? list : []).map((l) => (has('lang.' + l) ? t('lang.' + l) : String(l))).join(', ');
  }

  function offerCard(o, need, offers, partners) {
    const rec = offers.get(o.author + '/' + o.id);
    const name = rec ? rec.name : o.name;
    const partnerId = rec ? rec.partner : null;
    const p = partnerId ? partners.map.get(o.author + '/' + partnerId) : null;
    const partnerName = p ? txt(p.name) : txt(o.partner);
    const meta = el('p', { class: 'meta' },
      o.free ? badge(t('offer.free'), 'free') : null,
      has('offer.fit.' + o.answers) ? el('span', { class: 'fit' }, t('offer.fit.' + o.answers)) : null);
    const contact = el('ul', { class: 'contact' },
      o.url && safeUrl(o.url) ? el('li', null, extLink(o.url, t('offer.website'), { 'data-test': 'offer-url' }, txt(name))) : null,
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
      recText('h3', { class: 'offer-name' }, name), by, meta.childNodes.length ? meta : null, langs,
      contact.childNodes.length ? contact : null);
  }

  async function showPlan(seq) {
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
      const [answer, offers, partners] = await Promise.all([
        plan.answer && (!wantAll || plan.all) ? plan.answer : runMatch(plan.profile, wantAll),
        offersOrNothing(),
        partnersOrNothing(),
      ]);
      if (seq !== route.seq) return;
      plan.answer = answer;
      plan.all = wantAll;
      busy(false);
      drawPlan(offers, partners);
    } catch (e) {
      if (seq !== route.seq) return;
      sayError(e);
      /* a saved profile the node refuses (400) has to be answered again;
       * anything else may pass: offer to try again */
      if (e instanceof ApiError && e.status === 400) $('plan-empty').hidden = false;
      else $('plan-retry').hidden = false;
    }
  }

  function drawPlan(offers, partners) {
    freeBlobs();
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
        li.appendChild(el('ul', { class: 'offers' }, shown.map((o) => offerCard(o, need, offers, partners))));
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

  function onTick(ev) {
    const box = ev.target;
    if (!box.classList || !box.classList.contains('tick')) return;
    const need = box.getAttribute('data-need');
    setTick(need, box.checked);
    const li = box.closest('.todo-item');
    if (li) li.classList.toggle('done', box.checked);
    updateProgress();
  }

  function forgetPlan() {
    store.remove(KEYS.profile);
    store.remove(KEYS.ticks);
    plan.answer = null;
    plan.profile = null;
    plan.expanded = new Set();
    $('questionnaire').reset();
    say(t('plan.forgotten'));
    go('#/', false, true);
  }

  /* ---- events -------------------------------------------------------------- */

  function eventItem(ev, partners, showPartner) {
    const cancelled = ev.status === 'cancelled';
    const where = locationText(ev);
    const links = el('ul', { class: 'links' },
      safeUrl(ev.url) ? el('li', null, extLink(ev.url, t('offer.website'), null, txt(ev.name))) : null,
      safeUrl(ev.registration_url) && !cancelled
        ? el('li', null, extLink(ev.registration_url, t('event.register'), null, txt(ev.name))) : null,
      el('li', null, icsLink(ev)));
    const body = txt(ev.description)
      ? el('details', null, el('summary', null, t('event.more')), paragraphs(ev.description)) : null;
    return el('li', { class: 'event' + (cancelled ? ' cancelled' : ''), 'data-test': 'event', 'data-event': ev.id },
      el('article', null,
        recText('h3', null, ev.name),
        el('p', { class: 'when' }, timeEl(ev.start, whenText(ev.start, ev.end))),
        where ? el('p', { class: 'where' }, t('event.where') + ' ' + where) : null,
        showPartner ? partnerLine(ev, partners, t('event.by')) : null,
        el('p', { class: 'meta' },
          cancelled ? badge(t('event.cancelled'), 'cancelled') : null,
          ev.cost && ev.cost.free === true ? badge(t('offer.free'), 'free') : null,
          ev.location && ev.location.online === true ? badge(t('event.online'), 'online') : null),
        body, links));
  }

  /* Events grouped by month (in Brussels), under a heading of the given level. */
  function eventsByMonth(events, partners, level, showPartner) {
    const out = [];
    let key = null;
    let list = null;
    const monthFmt = dtf({ month: 'long', year: 'numeric' });
    for (const ev of events) {
      const d = parseTime(ev.start);
      const k = d ? dayKey(d).slice(0, 7) : '';
      if (k !== key || !list) {
        key = k;
        list = el('ol', { class: 'events' });
        out.push(el('section', { class: 'month' },
          el('h' + level, null, d ? capitalise(monthFmt.format(d)) : '?'), list));
      }
      list.appendChild(eventItem(ev, partners, showPartner));
    }
    return out;
  }

  function eventFilters(params) {
    const f = {};
    const sector = params.get('sector');
    const phase = params.get('phase');
    if (sector && terms('sector').some((x) => x.id === sector)) f.sector = sector;
    if (phase && terms('phase').some((x) => x.id === phase)) f.phase = phase;
    return f;
  }

  async function showEvents(seq, params) {
    const f = eventFilters(params);
    $('event-sector').value = f.sector || '';
    $('event-phase').value = f.phase || '';
    $('ics-all').setAttribute('href', 'events.ics' + query(Object.assign({ lang }, f)));
    const box = $('event-list');
    busy(true);
    try {
      const [ans, partners] = await Promise.all([
        api('api/v1/events' + query(f)), partnersOrNothing()]);
      if (seq !== route.seq) return;
      busy(false);
      freeBlobs();
      clear(box);
      const events = ans.events || [];
      if (!events.length) box.appendChild(el('p', { class: 'empty' }, t('events.none')));
      else append(box, eventsByMonth(events, partners, 2, true));
    } catch (e) {
      if (seq !== route.seq) return;
      clear(box);
      sayError(e);
    }
  }

  /* ---- search ----------------------------------------------------------------- */

  function recordTitle(r) {
    return r.kind === 'news' ? r.title : r.name;
  }

  function hitItem(hit, partners) {
    const r = hit.record || {};
    const kind = KINDS.includes(r.kind) ? r.kind : 'offer';
    const pid = kind === 'partner' ? r.id : r.partner;
    const p = pid ? partners.map.get(r.author + '/' + pid) : null;
    const snippet = txt(r.description) || txt(r.summary);
    const short = snippet.length > 240 ? snippet.slice(0, 237).replace(/\s+\S*$/, '') + '…' : snippet;
    const title = kind === 'partner' && pid
      ? el('a', { href: partnerHref(r.author, pid), 'data-test': 'partner-link' }, txt(r.name))
      : txt(recordTitle(r));
    const h = el('h2', { class: 'hit-title' }, badge(t('kind.' + kind), 'kind kind-' + kind), ' ', title);
    const when = kind === 'event' ? el('p', { class: 'when' }, timeEl(r.start, whenText(r.start, r.end)))
      : kind === 'news' ? el('p', { class: 'when' }, timeEl(r.published, dateText(r.published))) : null;
    const by = kind !== 'partner' && pid
      ? el('p', { class: 'by' }, t('offer.by') + ' ',
        el('a', { href: partnerHref(r.author, pid), 'data-test': 'partner-link' }, p ? txt(p.name) : pid))
      : null;
    return el('li', { class: 'hit', 'data-test': 'hit', 'data-kind': kind },
      h, when, by, short ? el('p', { class: 'snippet' }, short) : null,
      safeUrl(r.url) ? el('p', null, extLink(r.url, t('offer.website'), null, txt(recordTitle(r)))) : null);
  }

  async function showSearch(seq, params) {
    const q = (params.get('q') || '').trim();
    const kind = KINDS.includes(params.get('kind')) ? params.get('kind') : '';
    $('search-q').value = q;
    $('search-kind').value = kind;
    const list = clear($('search-results'));
    $('search-count').textContent = '';
    if (!q) return;
    busy(true);
    try {
      const [ans, partners] = await Promise.all([
        api('api/v1/search' + query({ q, kind, lang })), partnersOrNothing()]);
      if (seq !== route.seq) return;
      const hits = ans.hits || [];
      const count = hits.length ? t('search.count', hits.length, q) : t('search.none', q);
      busy(false);
      $('search-count').textContent = count;
      for (const hit of hits) list.appendChild(hitItem(hit, partners));
    } catch (e) {
      if (seq !== route.seq) return;
      sayError(e);
    }
  }

  /* ---- news ---------------------------------------------------------------- */

  function newsItem(n, partners, level, showPartner) {
    return el('li', { class: 'news', 'data-test': 'news' },
      el('article', null,
        recText('h' + level, null, n.title),
        el('p', { class: 'when' }, timeEl(n.published, dateText(n.published))),
        showPartner ? partnerLine(n, partners, t('event.by')) : null,
        recText('p', { class: 'summary' }, n.summary),
        txt(n.body) ? el('details', null, el('summary', null, t('news.body')), paragraphs(n.body)) : null,
        safeUrl(n.url) ? el('p', null, extLink(n.url, t('news.read'), null, txt(n.title))) : null));
  }

  async function showNews(seq) {
    $('news-atom').setAttribute('href', 'news.atom' + query({ lang }));
    const box = $('news-list');
    busy(true);
    try {
      const [ans, partners] = await Promise.all([api('api/v1/news'), partnersOrNothing()]);
      if (seq !== route.seq) return;
      busy(false);
      clear(box);
      const news = ans.news || [];
      if (!news.length) box.appendChild(el('p', { class: 'empty' }, t('news.none')));
      else box.appendChild(el('ol', { class: 'news-list' }, news.map((n) => newsItem(n, partners, 2, true))));
    } catch (e) {
      if (seq !== route.seq) return;
      clear(box);
      sayError(e);
    }
  }

  /* ---- partners ------------------------------------------------------------ */

  async function showPartners(seq) {
    const list = $('partner-list');
    busy(true);
    try {
      /* the list is asked for again: an index is cheap and may have changed */
      cache.partners = null;
      const partners = await loadPartners();
      if (seq !== route.seq) return;
      busy(false);
      clear(list);
      const sorted = partners.list.slice().sort((a, b) => txt(a.name).localeCompare(txt(b.name), locale()));
      if (!sorted.length) list.appendChild(el('li', { class: 'empty' }, t('partners.none')));
      for (const p of sorted) {
        const addr = p.address && p.address.locality;
        list.appendChild(el('li', { class: 'card', 'data-test': 'partner' },
          el('h2', null, el('a', { href: partnerHref(p.author, p.id), 'data-test': 'partner-link' }, txt(p.name))),
          el('p', { class: 'meta' },
            p.org_type ? el('span', { class: 'tag' }, termLabel('org_type', p.org_type)) : null,
            addr ? el('span', { class: 'tag' }, addr) : null),
          typeof p.offers === 'number' ? el('p', { class: 'count' }, t('partners.offers', p.offers)) : null));
      }
    } catch (e) {
      if (seq !== route.seq) return;
      clear(list);
      sayError(e);
    }
  }

  function dlRow(term, ...values) {
    const vals = values.filter(Boolean);
    return vals.length ? [el('dt', null, term), el('dd', null, vals)] : null;
  }

  function countryName(code) {
    if (typeof code !== 'string' || !/^[A-Z]{2}$/.test(code)) return null;
    try {
      return new Intl.DisplayNames([locale()], { type: 'region' }).of(code) || code;
    } catch (e) {
      return code;
    }
  }

  function termList(facet, ids) {
    return Array.isArray(ids) && ids.length ? ids.map((x) => termLabel(facet, x)).join(', ') : null;
  }

  function partnerOffer(o) {
    const el_ = o.eligibility || {};
    const phases = termList('phase', el_.phases);
    return el('li', { class: 'offer', 'data-test': 'partner-offer', 'data-offer': o.id },
      recText('h3', { class: 'offer-name' }, o.name),
      el('p', { class: 'meta' },
        o.cost && o.cost.free === true ? badge(t('offer.free'), 'free') : null,
        (Array.isArray(o.needs) ? o.needs : []).map((n) => el('span', { class: 'tag' }, termLabel('need', n)))),
      paragraphs(o.description, 'desc'),
      phases ? el('p', { class: 'for' }, t('offer.for', phases)) : null,
      Array.isArray(o.languages) && o.languages.length ? el('p', { class: 'langs' }, t('offer.languages', langNames(o.languages))) : null,
      el('ul', { class: 'contact' },
        safeUrl(o.url) ? el('li', null, extLink(o.url, t('offer.website'), null, txt(o.name))) : null,
        mailLink(o.email) ? el('li', null, t('offer.email') + ': ', mailLink(o.email)) : null,
        phoneLink(o.phone) ? el('li', null, t('offer.phone') + ': ', phoneLink(o.phone)) : null));
  }

  async function showPartner(seq, author, id) {
    const body = clear($('partner-body'));
    $('partner-title').textContent = '';
    busy(true);
    try {
      const [ans, partners] = await Promise.all([
        api('api/v1/partners/' + seg(author) + '/' + seg(id)), partnersOrNothing()]);
      if (seq !== route.seq) return;
      busy(false);
      freeBlobs();
      const p = ans.partner || {};
      $('partner-title').textContent = txt(p.name) || id;
      const l = txtLang(p.name);
      if (l && l !== lang) $('partner-title').setAttribute('lang', l);
      else $('partner-title').removeAttribute('lang');
      document.title = txt(p.name) + ' – gilde';
      const a = p.address;
      const addr = a && typeof a === 'object'
        ? [a.street, [a.postal_code, a.locality].filter(Boolean).join(' '), countryName(a.country)].filter(Boolean).join(', ') : null;
      const contact = el('dl', { class: 'facts' },
        dlRow(t('partner.website'), extLink(p.url, p.url)),
        dlRow(t('partner.email'), mailLink(p.email)),
        dlRow(t('partner.phone'), phoneLink(p.phone)),
        dlRow(t('partner.address'), addr),
        dlRow(t('partner.sectors'), termList('sector', p.sectors)),
        dlRow(t('partner.areas'), termList('area', p.areas)),
        dlRow(t('partner.languages'), Array.isArray(p.languages) ? langNames(p.languages) : null));
      const offers = ans.offers || [];
      const events = ans.events || [];
      const news = ans.news || [];
      append(body, [
        p.org_type ? el('p', { class: 'meta' }, el('span', { class: 'tag' }, termLabel('org_type', p.org_type))) : null,
        paragraphs(p.description, 'lead'),
        el('section', { 'aria-labelledby': 'partner-contact' },
          el('h2', { id: 'partner-contact' }, t('partner.contact')), contact),
        el('section', { 'aria-labelledby': 'partner-offers', 'data-test': 'partner-offers' },
          el('h2', { id: 'partner-offers' }, t('partner.offers')),
          offers.length ? el('ul', { class: 'offers wide' }, offers.map(partnerOffer))
            : el('p', { class: 'empty' }, t('partner.noOffers'))),
        events.length ? el('section', { 'aria-labelledby': 'partner-events' },
          el('h2', { id: 'partner-events' }, t('partner.events')),
          el('ol', { class: 'events' }, events.map((ev) => eventItem(ev, partners, false)))) : null,
        news.length ? el('section', { 'aria-labelledby': 'partner-news' },
          el('h2', { id: 'partner-news' }, t('partner.news')),
          el('ol', { class: 'news-list' }, news.map((n) => newsItem(n, partners, 3, false)))) : null,
      ]);
    } catch (e) {
      if (seq !== route.seq) return;
      $('partner-title').textContent = id;
      sayError(e);
    }
  }

  /* ---- language ---------------------------------------------------------- */

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
    lang = lang === 'nl' ? 'en' : 'nl';
    store.set(KEYS.lang, lang);
    applyLang();
    route({ keepFocus: true });
  }

  /* ---- routing ------------------------------------------------------------- */

  const VIEWS = ['home', 'plan', 'events', 'search', 'news', 'partners', 'partner', 'missing'];

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

  function route(opts) {
    opts = opts || {};
    /* "#main" (the skip link) is not a route: stay where we are */
    if (location.hash && !location.hash.startsWith('#/') && !firstRoute) return;
    const seq = ++route.seq;
    /* a message from the last view is stale now, unless it was about this move */
    if (!opts.keepStatus && !route.keepStatusOnce && !firstRoute) say('');
    route.keepStatusOnce = false;
    const { parts, params } = parseHash();
    const [name, ...rest] = parts;
    let view = 'missing';
    let work = null;
    if (!name) {
      view = 'home';
      $('saved-plan').hidden = !store.get(KEYS.profile, null);
    } else if (name === 'plan' && !rest.length) {
      view = 'plan';
      work = showPlan(seq);
    } else if (name === 'events' && !rest.length) {
      view = 'events';
      work = showEvents(seq, params);
    } else if (name === 'search' && !rest.length) {
      view = 'search';
      work = showSearch(seq, params);
    } else if (name === 'news' && !rest.length) {
      view = 'news';
      work = showNews(seq);
    } else if (name === 'partners' && !rest.length) {
      view = 'partners';
      work = showPartners(seq);
    } else if (name === 'partner' && rest.length === 2) {
      view = 'partner';
      work = showPartner(seq, rest[0], rest[1]);
    }
    showView(view);
    if (view !== 'partner') document.title = (view === 'home' ? '' : (t('nav.' + view) || '') + ' – ') + t('doc.title');
    if (view === 'missing') document.title = t('missing.title') + ' – gilde';
    /* moving focus to the new heading tells a screen reader the page changed */
    if (!firstRoute && !opts.keepFocus && !route.keepFocusOnce) {
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

  function go(hash, keepFocus, keepStatus) {
    if (location.hash === hash) {
      route({ keepFocus, keepStatus });
    } else {
      route.keepFocusOnce = !!keepFocus;
      route.keepStatusOnce = !!keepStatus;
      location.hash = hash;
    }
  }

  /* ---- start ---------------------------------------------------------------- */

  async function start() {
    applyLang();
    $('lang-switch').addEventListener('click', switchLang);
    $('questionnaire').addEventListener('submit', onSubmit);
    $('questionnaire').addEventListener('reset', () => {
      for (const [id, input] of [['phase-error', $('fs-phase')], ['needs-error', $('fs-needs')], ['age-error', $('company-age')]]) {
        fieldError(id, input, '');
      }
    });
    $('todo').addEventListener('change', onTick);
    $('plan-forget').addEventListener('click', forgetPlan);
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
    window.addEventListener('pagehide', freeBlobs);

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
})();
