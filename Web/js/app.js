// The page's shell: the header and navigation, the unreachable banner, the router (routes are
// URL fragments such as #/teams/ID, so every screen has a link and the back button works), and
// live updates: each screen says which events concern it and is redrawn when they arrive.

import { h, replace } from './dom.js';
import * as api from './api.js';
import * as session from './session.js';
import * as events from './events.js';
import { routes, navItems } from './routes.js';
import { bell } from './notifications.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const banner = document.getElementById('banner');

let current = null;   // the context of the screen shown: its route, params, hooks
let renderSeq = 0;
let refreshTimer = null;  // a live update waiting to redraw the screen

/** What a screen gets: its params, a place to draw, and hooks that end when it is left. */
function screenContext(route, params, query) {
  const ctx = {
    route, params, query, main,
    cleanup: [],
    live: [],
    title(text) { document.title = `${text} · ElohimOS`; },
    /** Draws the screen again (from fresh data, in place) when an event `match(event)` is true. */
    onEvent(match) { ctx.live.push(match); },
    every(ms, fn) { const id = setInterval(fn, ms); ctx.cleanup.push(() => clearInterval(id)); },
    go,
  };
  return ctx;
}

export function go(hash) { if (location.hash === hash) render(); else location.hash = hash; }

function parse() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, queryText = ''] = raw.split('?');
  return { path, query: new URLSearchParams(queryText) };
}

function leave(ctx) {
  for (const fn of ctx?.cleanup || []) fn();
  if (ctx) ctx.live = [];
}

async function render() {
  const seq = ++renderSeq;
  clearTimeout(refreshTimer);
  delete main.dataset.ready;
  leave(current);
  current = null;
  const { path, query } = parse();
  let route = null, params = {};
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (m) { route = r; params = m.groups || {}; break; }
  }
  if (!route) route = routes.find((r) => r.name === 'notFound');
  if (route.auth !== false && !session.current()) {
    sessionStorage.setItem('elohim.after', location.hash);
    return go('#/signin');
  }
  drawNav(route);
  const ctx = screenContext(route, params, query);
  current = ctx;
  replace(main, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  try {
    const { default: screen } = await route.load();
    if (seq !== renderSeq) return;
    await screen(ctx);
    // Tests and the figure script read when a screen is drawn and usable.
    main.dataset.ready = location.hash;
    if (!performance.getEntriesByName('first-screen').length) performance.mark('first-screen');
  } catch (e) {
    if (seq !== renderSeq) return;
    replace(main, h('section', { class: 'card' }, h('h1', {}, 'Something went wrong'), h('p', { class: 'status error' }, e.message || String(e)),
      h('p', {}, h('a', { href: '#/' }, 'Back to the start'))));
    main.dataset.ready = location.hash;
  }
  if (seq === renderSeq && document.activeElement === document.body) main.focus({ preventScroll: true });
}

function drawNav(route) {
  const s = session.current();
  const items = s ? navItems.filter((n) => !n.founder || s.account.founder) : [];
  replace(nav, items.length ? h('ul', {}, items.map((n) => h('li', {},
    h('a', { href: n.href, 'aria-current': route.section === n.section ? 'page' : null }, n.label)))) : null);
  const b = bell();
  if (route.section === 'notifications') b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  replace(who, s ? [b, h('a', { href: '#/account', class: 'who', title: 'Your account' }, s.account.username, s.account.founder ? ' (founder)' : '')] : null);
}

/**
 * Draws the current screen again with a fresh context, in place: no "Loading…", the old content
 * stays until the new is ready. While the person is typing in a field of the screen, or has
 * chosen a file not yet sent, it waits (a live update never wipes what someone is writing).
 */
function refresh() {
  clearTimeout(refreshTimer);
  const active = document.activeElement;
  const typing = active && main.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.type !== 'file';
  // A file chosen and not yet sent is kept too (a redraw would empty its input).
  const chosen = [...main.querySelectorAll('input[type=file]')].some((input) => input.files?.length);
  if (typing || chosen) {
    refreshTimer = setTimeout(refresh, 1000);
    return;
  }
  const old = current;
  if (!old) return;
  const seq = ++renderSeq;
  leave(old);
  const ctx = screenContext(old.route, old.params, old.query);
  current = ctx;
  old.route.load().then(({ default: screen }) => (seq === renderSeq ? screen(ctx) : null))
    .catch((e) => console.warn('the screen could not be drawn again', e));
}

// Live updates: an event redraws the screen that asked for it, at most every 400 ms.
events.subscribe((event) => {
  if (!current?.live.some((match) => match(event))) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 400);
});

api.onReachability((up) => {
  banner.hidden = up;
  replace(banner, up ? null : [h('strong', {}, 'The node is unreachable. '),
    'Nothing you do here is saved until it answers again; the page checks every few seconds.']);
  if (up) { events.start(); render(); }
});

/** The session is over (its token refused, or the node ended it): the sign-in screen says so. */
function sessionOver() {
  if (!session.current()) return;
  session.clear();
  events.stop();
  if (!location.hash.startsWith('#/signin')) sessionStorage.setItem('elohim.after', location.hash);
  go('#/signin?expired=1');
}
api.setUnauthorizedHandler(sessionOver);
events.setSessionEndedHandler(sessionOver);

session.onChange((s) => { if (s) events.start(); else events.stop(); });

// The node's one-time setup link: take the token out of the address bar at once, whether the
// link opened the page or was pasted into a page already open (a hash change, no reload).
function takeSetupToken() {
  if (!location.hash.startsWith('#setup=')) return;
  sessionStorage.setItem('elohim.setupToken', decodeURIComponent(location.hash.slice(7)));
  history.replaceState(null, '', `${location.pathname}#/setup`);
}
takeSetupToken();

document.getElementById('skip').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
window.addEventListener('hashchange', () => { takeSetupToken(); render(); });
if (session.current()) events.start();
render();
