/*
 * dom.js — building the page.  Everything a partner wrote is put in the
 * page with createElement/textContent, never as HTML: records come from
 * other organisations.  Links are made only of addresses that are what
 * they claim (http(s), mail, phone).
 */
import { lang, txt, txtLang } from './i18n.js';

export const $ = (id) => document.getElementById(id);

/* el('a', {href: x, class: 'y'}, 'text', child, ...): attributes are set
 * with setAttribute, strings become text nodes; nothing is parsed as HTML. */
export function el(tag, attrs, ...children) {
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

export function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return parent;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/* A text from a record, in an element that says which language it is in. */
export function recText(tag, attrs, v) {
  const e = el(tag, attrs, txt(v));
  const l = txtLang(v);
  if (l && l !== lang) e.setAttribute('lang', l);
  return e;
}

/* Paragraphs of a long text, split on blank lines. */
export function paragraphs(v, cls) {
  const l = txtLang(v);
  return txt(v).split(/\n\s*\n/).filter((p) => p.trim()).map((p) => {
    const e = el('p', { class: cls }, p.trim());
    if (l && l !== lang) e.setAttribute('lang', l);
    return e;
  });
}

/* Only http(s) addresses become links: a record could carry anything. */
export function safeUrl(u) {
  return typeof u === 'string' && /^https?:\/\/[^\s]+$/i.test(u) ? u : null;
}

/* about: what the link is about, so that a screen reader's list of links
 * says "Website: imec.istart", not "Website" ten times. */
export function extLink(u, label, attrs, about) {
  const href = safeUrl(u);
  if (!href) return null;
  const a = el('a', Object.assign({ href, rel: 'noopener noreferrer external', class: 'ext' }, attrs || {}), label);
  if (about) a.setAttribute('aria-label', label + ': ' + about);
  return a;
}

export function mailLink(m) {
  if (typeof m !== 'string' || !/^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/.test(m)) return null;
  return el('a', { href: 'mailto:' + m }, m);
}

export function phoneLink(p) {
  if (typeof p !== 'string' || !/^[+]?[0-9 ./()-]{6,20}$/.test(p)) return null;
  return el('a', { href: 'tel:' + p.replace(/[^0-9+]/g, '') }, p);
}

/* Path segments of ids and keys: slugs and base64url keys need no escaping,
 * but anything else is escaped all the same (':' stays readable). */
export function seg(s) {
  return encodeURIComponent(String(s)).replace(/%3A/gi, ':');
}

/* A text's first sentence: up to a full stop, ! or ? that a capital or a
 * digit follows (or the end), not one of a short word ("St. Pieters",
 * "Dr.") or inside one ("e.g.", "o.a."). No look-behind: older Safari
 * refuses the whole file for one. */
export function firstSentence(s) {
  const text = String(s || '').trim();
  const end = /[.!?](?=\s+[A-Z\u00C0-\u00DE0-9]|\s*$)/g;
  for (let m = end.exec(text); m; m = end.exec(text)) {
    const upto = text.slice(0, m.index + 1);
    const word = upto.slice(upto.search(/\S+$/));
    if (m[0] === '.' && (/^[A-Za-z]{1,2}\.$/.test(word) || /\.[A-Za-z]+\.$/.test(word))) continue;
    return upto;
  }
  return text;
}

export function partnerHref(author, id) {
  return '#/partner/' + seg(author) + '/' + seg(id);
}

export function badge(text, cls) {
  return el('span', { class: 'badge ' + (cls || '') }, text);
}
