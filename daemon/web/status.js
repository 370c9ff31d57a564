/*
 * status.js — the status region (polite, for errors and progress).
 */
import { ApiError } from './api.js';
import { $, clear, el } from './dom.js';
import { t } from './i18n.js';

let busyTimer = null;

export function say(text, isError) {
  clearTimeout(busyTimer);
  const box = $('status');
  clear(box);
  box.classList.toggle('error', !!isError);
  box.classList.toggle('busy', false);
  if (text) {
    for (const line of String(text).split('\n')) box.appendChild(el('p', null, line));
  }
}

export function busy(on) {
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

export function sayError(err, prefix) {
  say((prefix ? prefix + '\n' : '') + errorText(err), true);
}
