// Your account: who you are as a person (name, person ID, public key), change the passphrase,
// sign out here or everywhere; the founder also sees the node's accounts, makes accounts for the
// people who use this node, and deletes them.
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import * as events from '../events.js';
import { when } from '../format.js';

export default async function account(ctx) {
  ctx.title('Account');
  const s = session.current();
  const [me, accounts] = await Promise.all([api.get('/api/v1/auth/me'), session.isFounder() ? api.get('/api/v1/accounts') : null]);
  const out = status();
  const signOut = h('button', { type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => busy(signOut, out, async () => {
    await api.post('/api/v1/auth/logout');
    session.clear(); events.stop(); ctx.go('#/signin');
  }));
  const everywhere = h('button', { type: 'button', class: 'danger' }, 'Sign out everywhere');
  everywhere.addEventListener('click', () => busy(everywhere, out, async () => {
    if (!confirm('Sign out on every device and browser where this account is signed in, this one too?')) return;
    await api.post('/api/v1/auth/sessions/revoke');
    session.clear(); events.stop(); ctx.go('#/signin');
  }));
  replace(ctx.main, h('h1', {}, 'Account'),
    h('div', { class: 'grid two' },
      h('section', { class: 'card', 'aria-labelledby': 'me-h' }, h('h2', { id: 'me-h' }, me.username),
        h('dl', { class: 'kv' }, h('dt', {}, 'Name'), h('dd', {}, me.name || me.username), h('dt', {}, 'Username'), h('dd', {}, me.username),
          h('dt', {}, 'Founder'), h('dd', {}, me.founder ? 'yes' : 'no'),
          h('dt', {}, 'Since'), h('dd', {}, when(me.createdAt)), h('dt', {}, 'Signed in until'), h('dd', {}, when(s.expiresAt)),
          // The operator's token is no person; an account from before persons gets one at its next sign-in.
          me.person ? [h('dt', {}, 'Person ID'), h('dd', {}, h('code', { id: 'my-person' }, me.person)),
            h('dt', {}, 'Public key'), h('dd', {}, h('code', { id: 'my-key' }, me.publicKey))] : null),
        me.person ? h('p', { class: 'muted small' }, 'An Admin of a team on another node adds you with these two: send them your person ID and public key.') : null,
        h('div', { class: 'row' }, signOut, everywhere),
        h('p', { class: 'muted small' }, 'Sign out everywhere ends every session of this account: on other devices the page returns to its sign-in screen.'), out),
      passwordCard(ctx)),
    accounts ? accountsCard(ctx, accounts.accounts, me) : null,
    accounts ? registerCard(ctx) : null);
}

/** The founder's list of the node's accounts, by username, with deletion (never the founder's). */
function accountsCard(ctx, accounts, me) {
  const out = status();
  return h('section', { class: 'card', 'aria-labelledby': 'accounts-h' }, h('h2', { id: 'accounts-h' }, `Accounts on this node (${accounts.length})`),
    h('table', { class: 'stack', id: 'accounts' }, h('thead', {}, h('tr', {}, ['Username', 'Founder', 'Since', 'Action'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, accounts.map((a) => {
        const remove = a.founder ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Delete the account ${a.username}` }, 'Delete');
        remove?.addEventListener('click', () => {
          if (!confirm(`Delete the account ${a.username}? They are signed out at once and lose their access to every team.`)) return;
          busy(remove, out, async () => {
            await api.del(`/api/v1/accounts/${a.id}`);
            await account(ctx);
            showOk(document.querySelector('#accounts-h ~ p.status'), `Deleted the account ${a.username}.`);
          });
        });
        return h('tr', { dataset: { account: String(a.id) } }, h('td', { 'data-label': 'Username' }, a.username, a.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
          h('td', { 'data-label': 'Founder' }, a.founder ? 'yes' : 'no'), h('td', { 'data-label': 'Since' }, when(a.createdAt)),
          h('td', { 'data-label': 'Action' }, remove || h('span', { class: 'muted small' }, 'cannot be deleted')));
      }))), out);
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

function registerCard(ctx) {
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
      await account(ctx);
      showOk(document.querySelector('#reg-h ~ p.status'), `Account ${a.username} created.`);
    });
  });
  return form;
}
