// The signed-in account: its token (24 hours) kept in this browser's storage for this node's
// origin only, so a reload keeps you signed in and another node's page never sees it.

const KEY = 'elohim.session';
const listeners = new Set();

export function current() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (s && s.token && new Date(s.expiresAt).getTime() > Date.now()) return s;
  } catch { /* a damaged entry is no session */ }
  return null;
}

export function token() { return current()?.token || null; }

/** Keeps `{token, expiresAt, account}` as the login, setup and password routes answer it. */
export function save(answer) {
  localStorage.setItem(KEY, JSON.stringify({ token: answer.token, expiresAt: answer.expiresAt, account: answer.account }));
  for (const fn of listeners) fn(current());
}

export function clear() {
  localStorage.removeItem(KEY);
  for (const fn of listeners) fn(null);
}

export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function isFounder() { return Boolean(current()?.account?.founder); }
