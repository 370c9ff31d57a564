/*
 * i18n.js — the page's language (Dutch or English) and the texts in it:
 * its own words (words.js) and the language maps of records.
 */
import { KEYS, store } from './local.js';
import { I18N } from './words.js';

const LANGS = ['nl', 'en'];

function pickLang() {
  const saved = store.get(KEYS.lang, null);
  if (LANGS.includes(saved)) return saved;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
  return nav.toLowerCase().startsWith('nl') ? 'nl' : 'en';
}

export let lang = pickLang();

/* Switch to l ("nl" or "en") and remember it. */
export function setLang(l) {
  lang = l;
  store.set(KEYS.lang, lang);
}

export function t(key, ...args) {
  let s = I18N[lang][key];
  if (s === undefined) s = I18N.en[key];
  if (s === undefined) s = key;
  return s.replace(/\{(\d)\}/g, (m, i) => (args[i] === undefined ? m : String(args[i])));
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(I18N.en, key);
}

/* A record text: a language map (the chosen language, else the other, else
 * any) or, as some answers carry, a plain string. */
export function txt(v) {
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
export function txtLang(v) {
  if (!v || typeof v !== 'object') return null;
  for (const l of [lang, ...LANGS, ...Object.keys(v)]) {
    if (typeof v[l] === 'string' && v[l]) return l;
  }
  return null;
}

export function locale() {
  return lang === 'nl' ? 'nl-BE' : 'en-GB';
}


export function langNames(list) {
  return (Array.isArray(list) ? list : []).map((l) => (has('lang.' + l) ? t('lang.' + l) : String(l))).join(', ');
}
