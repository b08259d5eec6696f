// The node's live events (`/api/v1/events`, a WebSocket): replica changes, peers, notices,
// pairings. A browser cannot set headers on a WebSocket, so the token goes in the URL.
// It reconnects with backoff (1 s doubling to 30 s) and tells the page when the node is gone.
// The node ends the stream with {"type":"session-ended"} when the stream's token stops working
// (signed out, every session ended, a new password, the account deleted): when the page still
// holds that token, its session is over (onSessionEnded); when the page already holds a new one
// (this page changed the password), the stream starts again with it.

import * as session from './session.js';
import { markUnreachable } from './api.js';

const listeners = new Set();
let socket = null, socketToken = null, backoff = 1000, retryTimer = null, wanted = false;
let onSessionEnded = () => {};

/** What to do when the node ends the session the page holds: the app shows the sign-in screen. */
export function setSessionEndedHandler(fn) { onSessionEnded = fn; }

/** Calls `fn(event)` for every event; returns the unsubscribe function. */
export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function connected() { return socket?.readyState === WebSocket.OPEN; }

export function start() {
  wanted = true;
  const t = session.token();
  // A stream on a token the page no longer holds (a new password gave a new one) is replaced.
  if (socket && socketToken !== t) drop();
  if (socket || retryTimer) return;
  if (!t) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/api/v1/events?token=${encodeURIComponent(t)}`);
  socket = ws;
  socketToken = t;
  ws.onopen = () => { backoff = 1000; dispatch({ type: 'connection', status: 'open' }); };
  ws.onmessage = (m) => {
    let event;
    try { event = JSON.parse(m.data); } catch { return; }
    if (event?.type === 'session-ended') {
      if (socket === ws) drop();
      if (session.token() === t) { wanted = false; onSessionEnded(); } else if (wanted) start();
      return;
    }
    dispatch(event);
  };
  ws.onclose = () => {
    const wasOpen = socket === ws;
    if (wasOpen) { socket = null; socketToken = null; }
    dispatch({ type: 'connection', status: 'closed' });
    if (!wanted || !wasOpen) return;
    // Is the node gone, or only the socket? /health decides the banner.
    fetch('/health', { cache: 'no-store' }).catch(() => markUnreachable());
    retryTimer = setTimeout(() => { retryTimer = null; start(); }, backoff);
    backoff = Math.min(backoff * 2, 30_000);
  };
}

/** Closes the stream without a reconnect (its onclose sees it is no longer the socket). */
function drop() {
  const ws = socket;
  socket = null;
  socketToken = null;
  ws?.close();
}

export function stop() {
  wanted = false;
  clearTimeout(retryTimer);
  retryTimer = null;
  drop();
}

function dispatch(event) { for (const fn of listeners) { try { fn(event); } catch (e) { console.warn('event listener failed', e); } } }
