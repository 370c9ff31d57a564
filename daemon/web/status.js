/*
 * status.js — the status region (polite, for errors and progress): a
 * box fixed at the foot of the screen (style.css), so that a message is
 * seen where the starter is, however far down the page they clicked.  A
 * message goes by itself after a while, an error stays until closed.
 */
import { ApiError } from './api.js';
import { $, clear, el } from './dom.js';
import { t } from './i18n.js';

const SHOWN_MS = 5000;  /* it covers the foot of the screen: not long */
let busyTimer = null;
let goneTimer = null;

export function say(text, isError) {
  clearTimeout(busyTimer);
  clearTimeout(goneTimer);
  const box = $('status');
  clear(box);
  box.classList.toggle('error', !!isError);
  box.classList.toggle('busy', false);
  if (!text) return;
  for (const line of String(text).split('\n')) box.appendChild(el('p', null, line));
  const close = el('button', { type: 'button', class: 'status-close', 'aria-label': t('status.close'), 'data-test': 'status-close' }, '×');
  close.addEventListener('click', () => say(''));
  box.appendChild(close);
  if (!isError) goneTimer = setTimeout(() => say(''), SHOWN_MS);
}

/* A question at the foot of the screen with its answers (choices: [{
 * label, test, fn }]): it stays until one is chosen or it is closed, or,
 * with opts.lasts (ms), goes by itself after that long unless the pointer
 * or the focus is on it (an "Undo" offered for a moment).  Its first
 * answer takes the focus unless opts.keepFocus. */
export function sayChoice(text, choices, opts) {
  opts = opts || {};
  say(text, false);
  clearTimeout(goneTimer);
  const box = $('status');
  const row = el('p', { class: 'status-choices' });
  for (const c of choices) {
    const b = el('button', { type: 'button', class: c.primary ? 'primary' : 'secondary', 'data-test': c.test }, c.label);
    b.addEventListener('click', () => {
      say('');
      c.fn();
    });
    row.appendChild(b);
  }
  box.insertBefore(row, box.lastChild);
  if (opts.lasts) {
    const wait = () => {
      clearTimeout(goneTimer);
      goneTimer = setTimeout(() => { if (row.isConnected) say(''); }, opts.lasts);
    };
    const hold = () => clearTimeout(goneTimer);
    for (const [on, fn] of [['focusin', hold], ['pointerenter', hold], ['focusout', wait], ['pointerleave', wait]]) {
      row.addEventListener(on, () => { if (row.isConnected) fn(); });
    }
    wait();
  }
  if (!opts.keepFocus) row.firstChild.focus({ preventScroll: true });
}

export function busy(on) {
  clearTimeout(busyTimer);
  if (on) {
    /* only announce loading if it takes a moment */
    busyTimer = setTimeout(() => {
      say(t('loading'));
      clearTimeout(goneTimer);
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

export function sayError(err, prefix) {
  say((prefix ? prefix + '\n' : '') + errorText(err), true);
}
