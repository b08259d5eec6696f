// Sign in with a username and passphrase; a node without a founder sends you to first run.
import { h, replace, field, status, busy } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { setupState } from './setup.js';

export default async function signin(ctx) {
  ctx.title('Sign in');
  const setup = await setupState().catch(() => ({ needed: null }));
  if (setup.needed) return ctx.go('#/setup');
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    ctx.query.get('expired') ? h('p', { class: 'status error' }, 'Your session ended (it expired or was signed out elsewhere). Sign in again.') : null,
    field('Username', username), field('Passphrase', password), submit, out,
    setup.needed === null ? h('p', { class: 'muted small' }, 'First time on this node? ', h('a', { href: '#/setup' }, 'Create its founder.')) : null);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const answer = await api.post('/api/v1/auth/login', { username: username.value, password: password.value }, { auth: false });
      session.save(answer);
      const after = sessionStorage.getItem('elohim.after');
      sessionStorage.removeItem('elohim.after');
      ctx.go(after && !after.startsWith('#/signin') && !after.startsWith('#/setup') ? after : '#/');
    });
  });
  replace(ctx.main, form);
  username.focus();
}
