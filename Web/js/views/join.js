// Joining by code: this node pairs with the inviter's (found on the LAN by mDNS, or at the
// address given), and joins the code's team when it has one.
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import { setCurrentTeam } from '../teamstate.js';

export default async function join(ctx) {
  ctx.title('Join by code');
  const code = h('input', { type: 'text', name: 'code', required: true, autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
    pattern: '\\s*[Oo][Mm][Nn][Ii]-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}\\s*', placeholder: 'OMNI-XXXX-XXXX', class: 'mono' });
  code.addEventListener('input', () => { code.value = code.value.toUpperCase(); });
  const via = h('input', { type: 'text', name: 'via', autocomplete: 'off', placeholder: '192.168.1.20:7946' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Join');
  const out = status();
  const result = h('div');
  const form = h('form', { class: 'card', 'aria-labelledby': 'join-h' }, h('h1', { id: 'join-h' }, 'Join by code'),
    h('p', {}, 'Type the code you were given. The inviting device must be on and reachable; pairing takes a few seconds.'),
    field('Code', code, 'Letters and digits; dashes optional. Five wrong tries burn a code.'),
    h('details', {}, h('summary', {}, 'The inviter is not on this LAN'),
      field('Inviter\'s mesh address (optional)', via, 'HOST:PORT of the inviting node\'s mesh port, when mDNS cannot find it.')),
    submit, out, result);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const body = { code: code.value.trim() };
      if (via.value.trim()) body.via = via.value.trim();
      const r = await api.post('/api/v1/p2p/join', body);
      showOk(out, r.message || 'Paired.');
      if (!r.team) { replace(result, h('p', {}, h('a', { href: '#/mesh' }, 'See the mesh'))); return; }
      setCurrentTeam(r.team);
      // The team's data arrives from the inviter in a moment: offer it once it is here.
      replace(result, h('p', { class: 'muted', role: 'status' }, 'Fetching the team from the inviter…'));
      for (let i = 0; i < 60; i++) {
        const { teams } = await api.get('/api/v1/teams');
        if (teams.some((t) => t.id === r.team)) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      replace(result, h('p', {}, h('a', { href: `#/teams/${r.team}`, class: 'button primary' }, 'Open the team')));
    });
  });
  replace(ctx.main, form);
  code.focus();
}
