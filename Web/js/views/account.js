// Your account: change the passphrase, sign out here or everywhere; the founder also makes
// accounts for the people who use this node.
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as events from '../events.js';
import { when } from '../format.js';

export default async function account(ctx) {
  ctx.title('Account');
  const s = session.current();
  const me = await api.get('/api/v1/auth/me');
  const out = status();
  const signOut = h('button', { type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => busy(signOut, out, async () => {
    try { await api.post('/api/v1/auth/logout'); } catch (e) { if (e.status !== 404) throw e; }
    session.clear(); events.stop(); ctx.go('#/signin');
  }));
  const everywhere = h('button', { type: 'button', class: 'danger' }, 'Sign out everywhere');
  everywhere.addEventListener('click', () => busy(everywhere, out, async () => {
    await api.post('/api/v1/auth/sessions/revoke');
    session.clear(); events.stop(); ctx.go('#/signin');
  }));
  replace(ctx.main, h('h1', {}, 'Account'),
    h('div', { class: 'grid two' },
      h('section', { class: 'card', 'aria-labelledby': 'me-h' }, h('h2', { id: 'me-h' }, me.name || me.username),
        h('dl', { class: 'kv' }, h('dt', {}, 'Username'), h('dd', {}, me.username), h('dt', {}, 'Founder'), h('dd', {}, me.founder ? 'yes' : 'no'),
          h('dt', {}, 'Since'), h('dd', {}, when(me.createdAt)), h('dt', {}, 'Signed in until'), h('dd', {}, when(s.expiresAt))),
        h('div', { class: 'row' }, signOut, everywhere), out),
      passwordCard(ctx)),
    me.founder ? registerCard() : null);
}

function passwordCard(ctx) {
  const current = h('input', { type: 'password', name: 'current', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', name: 'new', autocomplete: 'new-password', required: true, minlength: 10 });
  const again = h('input', { type: 'password', name: 'again', autocomplete: 'new-password', required: true, minlength: 10 });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Change the passphrase');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'pw-h' }, h('h2', { id: 'pw-h' }, 'Change your passphrase'),
    field('Current passphrase', current), field('New passphrase', next, 'At least 10 characters. Your other sessions end.'), field('New passphrase again', again), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      if (next.value !== again.value) throw new Error('The two new passphrases differ.');
      const answer = await api.post('/api/v1/auth/password', { currentPassword: current.value, newPassword: next.value });
      session.save(answer);
      form.reset();
      showOk(out, 'Changed. Other sessions of this account have ended.');
    });
  });
  return form;
}

function registerCard() {
  const username = h('input', { type: 'text', name: 'username', required: true, pattern: '[A-Za-z0-9._\\-]{3,32}', autocomplete: 'off' });
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 10, autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create the account');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'reg-h' }, h('h2', { id: 'reg-h' }, 'Accounts for others'),
    h('p', { class: 'muted small' }, 'People who use this node sign in with their own account; give them a role in a team on the team\'s page.'),
    h('div', { class: 'grid two' }, field('Username', username), field('First passphrase', password, 'They can change it under Account.')), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const a = await api.post('/api/v1/auth/register', { username: username.value, password: password.value });
      form.reset();
      showOk(out, `Account ${a.username} created.`);
    });
  });
  return form;
}
