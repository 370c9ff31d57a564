/*
 * ask.js — "Ask for an appointment": the partner's booking page if it has
 * one, else an e-mail the starter reads and edits here before their own
 * mail program sends it (a mailto: link).  The e-mail is a short summary
 * of the starter's answers and the need.  It never goes to the node: no
 * request carries it, nothing keeps it; only the moment they asked is
 * kept, in this browser (planstate.js).
 */
import { termLabel } from './data.js';
import { $, safeUrl } from './dom.js';
import { langNames, t, txt } from './i18n.js';

/* An address that can stand in a mailto: link as it is (common.json's
 * e-mail pattern, minus the characters a URL would read otherwise). */
const EMAIL_RE = /^[A-Za-z0-9.!$'*+=^_`{|}~-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)+$/;

export function mailAddress(c) {
  return c && typeof c.email === 'string' && EMAIL_RE.test(c.email) ? c.email : null;
}

/* How this offer's partner takes appointments: {kind: 'book'|'mail'|'call'|'page', …}, or null. */
export function askWay(o) {
  const c = o && o.contact && typeof o.contact === 'object' ? o.contact : {};
  if (safeUrl(c.booking_url)) return { kind: 'book', href: c.booking_url };
  if (mailAddress(c)) return { kind: 'mail', to: c.email };
  if (typeof c.phone === 'string' && /^[+][0-9 ]{6,29}$/.test(c.phone)) {
    return { kind: 'call', href: 'tel:' + c.phone.replace(/[^0-9+]/g, '') };
  }
  const page = safeUrl(c.url) || safeUrl(o.url);
  return page ? { kind: 'page', href: page } : null;
}

/* The starter's answers, one line each, in the page's language. */
export function answerLines(p) {
  const lines = [];
  const add = (key, value) => lines.push('- ' + t(key) + ': ' + value);
  if (p.phase) add('mail.phase', termLabel('phase', p.phase));
  if (p.activity) add('mail.activity', termLabel('activity', p.activity));
  if (Array.isArray(p.sectors) && p.sectors.length) add('mail.sectors', p.sectors.map((s) => termLabel('sector', s)).join(', '));
  if (p.side_activity === true) lines.push('- ' + t('mail.side'));
  if (p.side_activity === false) lines.push('- ' + t('mail.main'));
  if (p.student === true) lines.push('- ' + (p.school ? t('mail.studentAt', termLabel('school', p.school)) : t('mail.student')));
  if (p.international === true) lines.push('- ' + t('mail.international'));
  if (p.research === true) lines.push('- ' + t('mail.research'));
  if (p.takeover === true) lines.push('- ' + t('mail.takeover'));
  if (p.bank_refused === true) lines.push('- ' + t('mail.bankRefused'));
  if (p.jobseeker === true) lines.push('- ' + t('mail.jobseeker'));
  if (p.prototype === true) lines.push('- ' + t('mail.prototype'));
  if (p.staff_from_abroad === true) lines.push('- ' + t('mail.staff'));
  if (p.experienced === true) lines.push('- ' + t('mail.experienced'));
  if (Number.isInteger(p.employees)) add('mail.employees', p.employees);
  if (Number.isInteger(p.company_age)) add('mail.age', t('mail.years', p.company_age));
  if (p.premises) add('mail.premises', t('mail.premises.' + p.premises));
  if (p.area) add('mail.area', termLabel('area', p.area));
  if (Array.isArray(p.languages) && p.languages.length) add('mail.languages', langNames(p.languages));
  return lines;
}

/* The e-mail for offer o under the step need (its label), for profile p. */
export function composeMail(o, needLabel, p) {
  const name = txt(o.name) || o.id;
  const partner = txt(o.partner);
  /* the offer's own name: the step's label made a permits question read
   * as one of "legal advice" (fourth phone trial); the body names the step */
  const subject = t('mail.subject', name);
  const body = [
    t('mail.hello'),
    '',
    t(partner ? 'mail.intro' : 'mail.introNoPartner', name, partner, needLabel),
    '',
    t('mail.about'),
    ...answerLines(p),
    '',
    t('mail.when'),
    '',
    t('mail.regards'),
    t('mail.name'),
    t('mail.phone'),
  ].join('\n');
  return { to: o.contact.email, subject, body };
}

/* mailto: (RFC 6068): the address as it is, subject and body
 * percent-encoded, line ends as CRLF. */
export function mailtoHref(to, subject, body) {
  const enc = (s) => encodeURIComponent(String(s).replace(/\r?\n/g, '\r\n'));
  return 'mailto:' + to + '?subject=' + enc(subject) + '&body=' + enc(body);
}

let onSent = null;

/* A screen a keyboard would fill: narrow, or touched rather than pointed at. */
const SMALL = '(max-width: 600px), (pointer: coarse)';

function refreshHref() {
  $('ask-send').setAttribute('href', mailtoHref($('ask-to').value, $('ask-subject').value, $('ask-body').value));
}

/* Wire the dialog once (app.js). */
export function setupAsk() {
  for (const id of ['ask-subject', 'ask-body']) $(id).addEventListener('input', refreshHref);
  $('ask-send').addEventListener('click', () => {
    /* the link opens the mail program by itself; note the moment, then close */
    refreshHref();
    const done = onSent;
    onSent = null;
    setTimeout(() => {
      $('ask-dialog').close('sent');
      if (done) done();
    }, 0);
  });
  $('ask-dialog').addEventListener('close', () => {
    onSent = null;
  });
}

/* Show the e-mail for offer o (step needLabel, profile p) to read and
 * edit; sent() is called when the starter opens it in their mail program. */
export function openMail(o, needLabel, p, sent) {
  const m = composeMail(o, needLabel, p);
  $('ask-title').textContent = t('ask.title', txt(o.partner) || txt(o.name));
  $('ask-to').value = m.to;
  $('ask-subject').value = m.subject;
  $('ask-body').value = m.body;
  refreshHref();
  onSent = sent;
  $('ask-dialog').showModal();
  const body = $('ask-body');
  body.setSelectionRange(0, 0);
  body.scrollTop = 0;
  /* on a phone the keyboard would cover the dialog and its buttons: the
   * title takes the focus there, the message box elsewhere */
  if (window.matchMedia(SMALL).matches) {
    $('ask-dialog').scrollTop = 0;
    $('ask-title').focus();
  } else {
    body.focus();
  }
}
