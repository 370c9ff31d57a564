/*
 * api.js — the node's JSON API (proto/API.md), by relative paths so that
 * the page also works below a path prefix.  The page talks to nobody else.
 */

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export async function api(path, options) {
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

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
