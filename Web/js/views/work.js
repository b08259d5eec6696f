// "Work": the queue of the team you work in (or a way to get a team first).
import { h, replace } from '../dom.js';
import { loadTeams } from '../teamstate.js';

export default async function work(ctx) {
  ctx.title('Work');
  const { team } = await loadTeams();
  if (team) return ctx.go(`#/teams/${team.id}/queue`);
  replace(ctx.main, h('section', { class: 'card' }, h('h1', {}, 'No team yet'),
    h('p', {}, 'Work items live in a team\'s workflows. ', h('a', { href: '#/teams' }, 'Create a team'), ' or ', h('a', { href: '#/join' }, 'join one by code'), '.')));
}
