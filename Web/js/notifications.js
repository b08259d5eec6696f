// The bell in the header and what it counts: the node's notifications (GET /api/v1/notifications:
// messages that mention you, and work items yours or claimable by you near or past their stage's
// time, over every team you see). The node derives them and stores nothing about what you read:
// this browser keeps the atMs of the newest one you have seen, per account, and the count is of
// those newer than it.
//
// The count is asked for again when a message arrives in any team (the events socket), when the
// socket reconnects (messages may have come meanwhile), and once a minute while the page is in
// view (an item's SLA state changes with time alone). Never more often than every 5 s: the node
// allows 100 reads a minute per person, and the screen on show reads too.
import { h } from './dom.js';
import * as api from './api.js';
import * as events from './events.js';
import * as session from './session.js';

const MIN_GAP = 5000;   // ms between two fetches, at least
const SETTLE = 600;     // ms to wait after an event, so a burst of messages is one fetch
const EVERY = 60_000;   // ms between fetches when nothing happens

const key = () => {
  const a = session.current()?.account;
  return a ? `elohim.notifications.seen:${a.username}` : null;
};

/** The atMs of the newest notification this account has seen in this browser (0: none yet). */
export function since() {
  const k = key();
  const v = k ? Number(localStorage.getItem(k)) : 0;
  return Number.isSafeInteger(v) && v > 0 ? v : 0;
}

function markSeen(atMs) {
  const k = key();
  if (k && atMs > since()) localStorage.setItem(k, String(atMs));
}

// The bell: a link to the Notifications screen whose name says how many are unread.
const countEl = h('span', { class: 'bell-count', 'aria-hidden': 'true', hidden: true });
const bellEl = h('a', { id: 'bell', class: 'bell', href: '#/notifications', 'aria-label': 'Notifications', title: 'Notifications' },
  h('svg:svg', { viewBox: '0 0 24 24', width: '20', height: '20', 'aria-hidden': 'true', focusable: 'false' },
    h('svg:path', { d: 'M12 3a6 6 0 0 0-6 6v4l-2 3v1h16v-1l-2-3V9a6 6 0 0 0-6-6zm-2.5 15a2.5 2.5 0 0 0 5 0z', fill: 'currentColor' })),
  countEl);
// A rise is said aloud once, politely; the bell's name says the rest when it is reached.
const announce = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', id: 'bell-news' });

/** The header's bell (one element, kept across screens). */
export function bell() { return bellEl; }

let unread = null;
function setUnread(n) {
  const before = unread;
  unread = n;
  countEl.textContent = n > 99 ? '99+' : String(n);
  countEl.hidden = !n;
  bellEl.dataset.unread = String(n);
  bellEl.classList.toggle('has-unread', n > 0);
  bellEl.setAttribute('aria-label', n ? `Notifications, ${n} unread` : 'Notifications, none unread');
  bellEl.title = n ? `${n} unread notification${n === 1 ? '' : 's'}` : 'Notifications';
  if (before !== null && n > before) announce.textContent = `${n} unread notification${n === 1 ? '' : 's'}`;
}

function clearUnread() {
  unread = null;
  countEl.hidden = true;
  delete bellEl.dataset.unread;
  bellEl.classList.remove('has-unread');
  bellEl.setAttribute('aria-label', 'Notifications');
  bellEl.title = 'Notifications';
}

let timer = null, timerAt = 0;   // the fetch planned, and when
let lastFetch = 0;               // when the last one started
let notBefore = 0;               // after a 429: when the node said to come back
let fetching = false, again = false;
let screen = null;               // the Notifications screen's reload while it is shown

/** Asks for the count again, `delay` ms from now at the soonest, and never within MIN_GAP of the last. */
export function refreshSoon(delay = SETTLE) {
  if (!session.current()) return;
  const at = Math.max(Date.now() + delay, lastFetch + MIN_GAP, notBefore);
  if (timer && timerAt <= at) return;   // one already planned, as soon or sooner, answers this too
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(run, at - Date.now());
}

async function run() {
  timer = null;
  if (!session.current()) return;
  if (fetching) { again = true; return; }
  fetching = true;
  try {
    if (screen) await screen();   // the screen on show fetches the list and sets the count itself
    else {
      const seen = since();
      lastFetch = Date.now();
      const answer = await api.get(`/api/v1/notifications?since=${seen}&limit=1`);
      // Marked seen meanwhile (the screen, or another tab): this count is out of date.
      if (seen === since() && !screen && session.current()) setUnread(answer.unread);
      else if (!screen) refreshSoon(0);
    }
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 429) notBefore = Date.now() + (e.retryAfter || 30) * 1000;
    // Unreachable or refused: the banner or the sign-in screen says so; the next event or minute tries again.
  } finally {
    fetching = false;
    if (again) { again = false; refreshSoon(); }
  }
}

/**
 * The list, newest first (at most `limit`), for the Notifications screen; counts as a fetch for
 * the spacing above. A 429 is waited out once.
 */
export async function fetchList(limit) {
  lastFetch = Date.now();
  return api.get(`/api/v1/notifications?since=${since()}&limit=${limit}`, { retries: 1 });
}

/** The person has seen `answer`'s notifications: the newest one's time is kept, and none is unread. */
export function seenAll(answer) {
  const newest = answer.notifications.reduce((max, n) => Math.max(max, n.atMs), 0);
  markSeen(newest);
  setUnread(0);
}

/** While the Notifications screen is shown, the bell's refreshes call `reload` instead; returns the undo. */
export function showing(reload) {
  screen = reload;
  return () => { if (screen === reload) screen = null; };
}

/** What this person's own message does not need: it mentions nobody to them. */
const mine = (op) => {
  const person = session.current()?.account?.person;
  return Boolean(person) && op.author === person;
};

let interval = null;
function start() {
  clearUnread();
  lastFetch = 0;
  notBefore = 0;
  clearInterval(interval);
  interval = setInterval(() => { if (!document.hidden) refreshSoon(0); }, EVERY);
  refreshSoon(0);
}

function stop() {
  clearInterval(interval);
  interval = null;
  clearTimeout(timer);
  timer = null;
  clearUnread();
}

events.subscribe((e) => {
  // A reconnect: messages may have come while the socket was closed. (The first open, just after
  // the page's first fetch, needs none.)
  if (e.type === 'connection' && e.status === 'open') { if (Date.now() - lastFetch > MIN_GAP) refreshSoon(); }
  else if (e.type === 'replica' && (e.ops || []).some((op) => op.action === 'post-message' && op.outcome === 'applied' && !mine(op))) refreshSoon();
});
// Back in view after a while: the minute's fetch was skipped while hidden.
document.addEventListener('visibilitychange', () => { if (!document.hidden && Date.now() - lastFetch > EVERY) refreshSoon(0); });
// Seen in another tab of this browser: the count here follows.
window.addEventListener('storage', (e) => { if (e.key === key()) refreshSoon(0); });
session.onChange((s) => (s ? start() : stop()));
document.body.append(announce);
if (session.current()) start();
