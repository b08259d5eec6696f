// The node's live events (`/api/v1/events`, a WebSocket): replica changes, peers, notices,
// pairings. A browser cannot set headers on a WebSocket, so the token goes in the URL.
// It reconnects with backoff (1 s doubling to 30 s) and tells the page when the node is gone.

import * as session from './session.js';
import { markUnreachable } from './api.js';

const listeners = new Set();
let socket = null, backoff = 1000, retryTimer = null, wanted = false;

/** Calls `fn(event)` for every event; returns the unsubscribe function. */
export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function connected() { return socket?.readyState === WebSocket.OPEN; }

export function start() {
  wanted = true;
  if (socket || retryTimer) return;
  const t = session.token();
  if (!t) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/events?token=${encodeURIComponent(t)}`);
  socket = ws;
  ws.onopen = () => { backoff = 1000; dispatch({ type: 'connection', status: 'open' }); };
  ws.onmessage = (m) => {
    let event;
    try { event = JSON.parse(m.data); } catch { return; }
    dispatch(event);
  };
  ws.onclose = () => {
    const wasOpen = socket === ws;
    socket = null;
    dispatch({ type: 'connection', status: 'closed' });
    if (!wanted || !wasOpen) return;
    // Is the node gone, or only the socket? /health decides the banner.
    fetch('/health', { cache: 'no-store' }).catch(() => markUnreachable());
    retryTimer = setTimeout(() => { retryTimer = null; start(); }, backoff);
    backoff = Math.min(backoff * 2, 30_000);
  };
}

export function stop() {
  wanted = false;
  clearTimeout(retryTimer);
  retryTimer = null;
  const ws = socket;
  socket = null;
  ws?.close();
}

function dispatch(event) { for (const fn of listeners) { try { fn(event); } catch (e) { console.warn('event listener failed', e); } } }
