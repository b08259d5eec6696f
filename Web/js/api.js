// Every call the page makes goes through here: the node's own origin only (relative URLs), the
// token as a Bearer header, JSON bodies with their content type, errors in the API's words.

import * as session from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const reach = { up: true, listeners: new Set(), timer: null };

/** Calls `fn(up)` when the node goes unreachable or comes back. */
export function onReachability(fn) { reach.listeners.add(fn); return () => reach.listeners.delete(fn); }
export function reachable() { return reach.up; }

function setReachable(up) {
  if (reach.up === up) return;
  reach.up = up;
  for (const fn of reach.listeners) fn(up);
  if (!up && !reach.timer) {
    // Ask /health every 3 s until the node answers again.
    reach.timer = setInterval(async () => {
      try {
        const r = await fetch('/health', { cache: 'no-store' });
        if (r.ok) { clearInterval(reach.timer); reach.timer = null; setReachable(true); }
      } catch { /* still down */ }
    }, 3000);
  }
}

/** Marks the node unreachable (the events socket noticed first). */
export function markUnreachable() { setReachable(false); }

let onUnauthorized = () => {};
/** What to do when the token is refused (expired, revoked): the app signs out. */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/**
 * api('GET', '/api/v1/teams') → parsed JSON (null for an empty answer).
 * Options: body (object → JSON; ArrayBuffer/Uint8Array → octet-stream), binary (answer as
 * ArrayBuffer), retries (how many 429s to wait out, honouring Retry-After up to 60 s), signal.
 */
export async function api(method, path, { body, binary = false, retries = 0, signal, auth = true } = {}) {
  const headers = { Accept: binary ? 'application/octet-stream' : 'application/json' };
  const t = auth ? session.token() : null;
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    headers['Content-Type'] = 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  for (let attempt = 0; ; attempt++) {
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      setReachable(false);
      throw new ApiError(0, 'unreachable', 'The node does not answer. Is it running? The page retries by itself.');
    }
    setReachable(true);
    if (response.status === 429 && attempt < retries) {
      const wait = Math.min(60, Number(response.headers.get('Retry-After')) || 5);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      continue;
    }
    if (response.ok) {
      if (binary) return response.arrayBuffer();
      const text = await response.text();
      return text ? JSON.parse(text) : null;
    }
    let code = `http_${response.status}`, message = `The node answered ${response.status} ${response.statusText}.`;
    try {
      const e = (await response.json()).error;
      if (e?.code) code = e.code;
      if (e?.message) message = e.message;
    } catch { /* not the API's error format */ }
    if (response.status === 401 && t && ['token_expired', 'token_invalid', 'unauthorized', 'token_revoked'].includes(code)) onUnauthorized(message);
    if (response.status === 429) message = `The node asks to slow down (${message}). Try again in ${response.headers.get('Retry-After') || 'a few'} s.`;
    throw new ApiError(response.status, code, message, Number(response.headers.get('Retry-After')) || undefined);
  }
}

export const get = (path, options) => api('GET', path, options);
export const post = (path, body, options) => api('POST', path, { ...options, body });
export const put = (path, body, options) => api('PUT', path, { ...options, body });
export const del = (path, options) => api('DELETE', path, options);

/** The node's identity, cached: `/health` needs no sign-in. */
let health = null;
export async function nodeInfo(refresh = false) {
  if (!health || refresh) health = await get('/health', { auth: false });
  return health;
}
