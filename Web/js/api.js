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

/** The API's error for an answer that is not ok (its `{error:{code,message}}` when it has one). */
function failure(status, statusText, text, retryAfter, hadToken) {
  let code = `http_${status}`, message = `The node answered ${status} ${statusText}.`;
  try {
    const e = JSON.parse(text).error;
    if (e?.code) code = e.code;
    if (e?.message) message = e.message;
  } catch { /* not the API's error format */ }
  if (status === 401 && hadToken && ['token_expired', 'token_invalid', 'unauthorized', 'token_revoked'].includes(code)) onUnauthorized(message);
  if (status === 429) message = `The node asks to slow down (${message}). Try again in ${retryAfter || 'a few'} s.`;
  return new ApiError(status, code, message, Number(retryAfter) || undefined);
}

const unreachable = () => new ApiError(0, 'unreachable', 'The node does not answer. Is it running? The page retries by itself.');

/**
 * api('GET', '/api/v1/teams') → parsed JSON (null for an empty answer).
 * Options: body (object → JSON; ArrayBuffer/Uint8Array/Blob → octet-stream, or `contentType`),
 * binary (answer as ArrayBuffer), full (answer as {body: ArrayBuffer, headers}), retries (how
 * many 429s to wait out, honouring Retry-After up to 60 s), signal.
 */
export async function api(method, path, { body, binary = false, full = false, retries = 0, signal, auth = true, contentType } = {}) {
  const headers = { Accept: binary || full ? 'application/octet-stream, application/json' : 'application/json' };
  const t = auth ? session.token() : null;
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof Blob) {
    headers['Content-Type'] = contentType || 'application/octet-stream';
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
      throw unreachable();
    }
    setReachable(true);
    if (response.status === 429 && attempt < retries) {
      const wait = Math.min(60, Number(response.headers.get('Retry-After')) || 5);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      continue;
    }
    if (response.ok) {
      if (full) return { body: await response.arrayBuffer(), headers: response.headers };
      if (binary) return response.arrayBuffer();
      const text = await response.text();
      return text ? JSON.parse(text) : null;
    }
    throw failure(response.status, response.statusText, await response.text().catch(() => ''), response.headers.get('Retry-After'), Boolean(t));
  }
}

/**
 * Sends a file as a request body with upload progress (fetch cannot report it, so this is an
 * XMLHttpRequest): `onProgress(sent, total)` as bytes leave. The file is streamed from disk by
 * the browser, never read into the page's memory. Answers like api(): parsed JSON, or with
 * `full` {body: ArrayBuffer, headers} (headers.get(name)). `signal` aborts it (an AbortError).
 */
export function upload(path, file, { method = 'POST', contentType = 'application/octet-stream', onProgress, signal, full = false } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const t = session.token();
    xhr.open(method, path);
    xhr.responseType = 'arraybuffer';
    xhr.setRequestHeader('Accept', full ? 'application/octet-stream, application/json' : 'application/json');
    xhr.setRequestHeader('Content-Type', contentType);
    if (t) xhr.setRequestHeader('Authorization', `Bearer ${t}`);
    const size = file.size ?? file.byteLength ?? 0;
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : size);
    xhr.upload.onload = () => onProgress?.(size, size);
    xhr.onerror = () => { setReachable(false); reject(unreachable()); };
    xhr.onabort = () => reject(new DOMException('The upload was stopped.', 'AbortError'));
    xhr.onload = () => {
      setReachable(true);
      const bytes = xhr.response || new ArrayBuffer(0);
      if (xhr.status >= 200 && xhr.status < 300) {
        if (full) return resolve({ body: bytes, headers: { get: (name) => xhr.getResponseHeader(name) } });
        const text = new TextDecoder().decode(bytes);
        try { return resolve(text ? JSON.parse(text) : null); } catch (e) { return reject(e); }
      }
      reject(failure(xhr.status, xhr.statusText, new TextDecoder().decode(bytes), xhr.getResponseHeader('Retry-After'), Boolean(t)));
    };
    if (signal) {
      if (signal.aborted) { reject(new DOMException('The upload was stopped.', 'AbortError')); return; }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
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
