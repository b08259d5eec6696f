// Home: who this node is, your teams, and the first steps for a newcomer.
import { h, replace } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { shortId, roleWords } from '../format.js';

export default async function home(ctx) {
  ctx.title('Home');
  const [info, { teams }] = await Promise.all([api.nodeInfo(), api.get('/api/v1/teams')]);
  const s = session.current();
  let workflows = 0, items = 0;
  if (teams[0]) {
    const [w, i] = await Promise.all([api.get(`/api/v1/teams/${teams[0].id}/workflows`).catch(() => ({ workflows: [] })),
      api.get(`/api/v1/teams/${teams[0].id}/items`).catch(() => ({ items: [] }))]);
    workflows = w.workflows.length;
    items = i.items.length;
  }
  const step = (done, text, link) => h('li', { class: done ? 'done' : null }, done ? h('span', { class: 'visually-hidden' }, 'Done: ') : null,
    link && !done ? h('a', { href: link }, text) : text);
  replace(ctx.main,
    h('h1', {}, `Hello, ${s.account.username}`),
    h('div', { class: 'grid two' },
      h('section', { class: 'card', 'aria-labelledby': 'steps-title' }, h('h2', { id: 'steps-title' }, 'First steps'),
        h('ol', { class: 'steps' },
          step(teams.length > 0, 'Create a team, or join one by its code', '#/teams'),
          step(workflows > 0, 'Design a workflow: its stages, who acts, how long each may take', teams[0] ? `#/teams/${teams[0].id}/workflows` : '#/teams'),
          step(items > 0, 'Put a work item in the queue', teams[0] ? `#/teams/${teams[0].id}/queue` : '#/teams'),
          step(false, 'Invite a colleague\'s device with a spoken code', teams[0] ? `#/teams/${teams[0].id}` : '#/teams'))),
      h('section', { class: 'card', 'aria-labelledby': 'node-title' }, h('h2', { id: 'node-title' }, 'This node'),
        h('dl', { class: 'kv' }, h('dt', {}, 'Node ID'), h('dd', { class: 'mono' }, info.nodeId), h('dt', {}, 'Version'), h('dd', {}, info.version),
          h('dt', {}, 'Teams'), h('dd', {}, String(teams.length))))),
    h('section', { class: 'card', 'aria-labelledby': 'teams-title' }, h('h2', { id: 'teams-title' }, 'Your teams'),
      teams.length ? h('ul', {}, teams.map((t) => h('li', {}, h('a', { href: `#/teams/${t.id}` }, t.name), ' · ',
        h('a', { href: `#/teams/${t.id}/queue` }, 'queue'), ' · ', `${t.members.length} member${t.members.length === 1 ? '' : 's'}`,
        ' · your role here: ', roleWords[t.members.find((m) => m.nodeId === info.nodeId)?.role] || 'none')))
        : h('p', { class: 'muted' }, 'No team yet. ', h('a', { href: '#/teams' }, 'Create one'), ' or ', h('a', { href: '#/join' }, 'join one by code'), '.')));
  ctx.onEvent((e) => e.type === 'replica' || e.type === 'paired');
}
