// Teams: the ones this node holds, making one, and joining one by code.
import { h, replace, field, status, busy } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { shortId } from '../format.js';
import { setCurrentTeam } from '../teamstate.js';

export default async function teams(ctx) {
  ctx.title('Teams');
  const { teams } = await api.get('/api/v1/teams');
  const name = h('input', { type: 'text', name: 'team-name', required: true, maxlength: 100, autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create the team');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-team' }, h('h2', { id: 'create-team' }, 'Create a team'),
    session.isFounder() ? [field('Name', name, 'Up to 100 characters; members see it.'), submit, out]
      : h('p', { class: 'muted' }, 'Only the node\'s founder creates teams here. Ask them, or join a team by its code.'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const team = await api.post('/api/v1/teams', { name: name.value });
      setCurrentTeam(team.id);
      ctx.go(`#/teams/${team.id}`);
    });
  });
  replace(ctx.main, h('h1', {}, 'Teams'),
    h('section', { class: 'card', 'aria-labelledby': 'list-title' }, h('h2', { id: 'list-title' }, `Teams on this node (${teams.length})`),
      teams.length ? h('table', { class: 'stack' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Team'), h('th', {}, 'Members'), h('th', {}, 'ID'), h('th', {}, h('span', { class: 'visually-hidden' }, 'Links')))),
        h('tbody', {}, teams.map((t) => h('tr', {},
          h('td', { 'data-label': 'Team' }, h('a', { href: `#/teams/${t.id}` }, t.name)),
          h('td', { 'data-label': 'Members' }, String(t.members.length)),
          h('td', { 'data-label': 'ID', class: 'mono', title: t.id }, shortId(t.id)),
          h('td', { 'data-label': 'Go to' }, h('a', { href: `#/teams/${t.id}/queue` }, 'Queue')))))) : h('p', { class: 'muted' }, 'None yet.')),
    h('div', { class: 'grid two' }, form,
      h('section', { class: 'card', 'aria-labelledby': 'join-title' }, h('h2', { id: 'join-title' }, 'Join a team by code'),
        h('p', {}, 'Someone on the team reads you a code such as ', h('code', {}, 'OMNI-7K3D-QX9M'), '.'),
        h('a', { href: '#/join', class: 'button' }, 'Enter a code'))));
  ctx.onEvent((e) => e.type === 'replica' || e.type === 'paired');
}
