// First run: make the node's founder. When no founder exists, the node prints a one-time setup
// link (http://127.0.0.1:PORT/#setup=TOKEN: the token stays in the fragment, so no server log
// sees it); this screen takes the token from there and creates the founder, signed in at once.
import { h, replace, field, status, busy } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';

/** Whether the node still needs its founder: {needed}. */
export async function setupState() {
  const r = await api.get('/api/v1/auth/setup', { auth: false });
  return { needed: Boolean(r.needed) };
}

export default async function setup(ctx) {
  ctx.title('First run');
  const token = sessionStorage.getItem('elohim.setupToken');
  const state = await setupState();
  if (state.needed === false) {
    replace(ctx.main, h('section', { class: 'card' }, h('h1', {}, 'This node has its founder'),
      h('p', {}, 'Sign in with your account; the founder can create accounts for others.'), h('a', { href: '#/signin', class: 'button primary' }, 'Sign in')));
    return;
  }
  if (!token) {
    replace(ctx.main, h('section', { class: 'card' }, h('h1', {}, 'Open the setup link'),
      h('p', {}, 'This node has no founder yet. When it started, it printed a one-time setup link in its terminal, such as ',
        h('code', {}, 'http://127.0.0.1:8000/#setup=…'), '. Open that link in this browser to create the founder account.'),
      h('p', { class: 'muted' }, 'The link is what proves you run the node: anyone who can reach the page could otherwise take it over.')));
    return;
  }
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32, pattern: '[A-Za-z0-9._\\-]{3,32}' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 1024 });
  const again = h('input', { type: 'password', name: 'password2', autocomplete: 'new-password', required: true, minlength: 10 });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create the founder');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'setup-title' },
    h('h1', { id: 'setup-title' }, 'Welcome: create the founder'),
    h('p', {}, 'The founder runs this node: makes teams, invites people and devices, and sees the audit trail. Choose a name and a passphrase of at least 10 characters.'),
    field('Username', username, '3 to 32 letters, digits, dots, dashes or underscores.'),
    field('Passphrase', password, 'At least 10 characters. It never leaves this node.'),
    field('Passphrase again', again),
    submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      if (password.value !== again.value) throw new Error('The two passphrases differ: type the same one twice.');
      let answer;
      try {
        answer = await api.post('/api/v1/auth/setup', { setupToken: token, username: username.value, password: password.value }, { auth: false });
      } catch (err) {
        // A used or stale link (the node makes a new one at each start): ask for the current one.
        if (err.code === 'setup_link_invalid') sessionStorage.removeItem('elohim.setupToken');
        throw err;
      }
      sessionStorage.removeItem('elohim.setupToken');
      session.save(answer);
      ctx.go('#/');
    });
  });
  replace(ctx.main, form);
  username.focus();
}
