// The audit trail (founder): every change and every refusal, newest first, filtered.
import { h, replace, field } from '../dom.js';
import * as api from '../api.js';
import { when } from '../format.js';

export default async function audit(ctx) {
  ctx.title('Audit');
  const q = ctx.query;
  const params = new URLSearchParams();
  for (const k of ['actor', 'action', 'outcome']) if (q.get(k)) params.set(k, q.get(k));
  params.set('limit', '200');
  const { entries } = await api.get(`/api/v1/audit?${params}`);
  const actor = h('input', { type: 'text', name: 'actor', value: q.get('actor') || '' });
  const action = h('input', { type: 'text', name: 'action', value: q.get('action') || '', placeholder: 'POST /api/v1/teams' });
  const outcome = h('select', { name: 'outcome' }, ['', 'ok', 'denied', 'failed'].map((o) => h('option', { value: o, selected: (q.get('outcome') || '') === o }, o || 'any')));
  const form = h('form', { class: 'card', 'aria-label': 'Filters' }, h('div', { class: 'grid two' }, field('Who', actor), field('What', action), field('Outcome', outcome)),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams(Object.entries({ actor: actor.value, action: action.value, outcome: outcome.value }).filter(([, v]) => v));
    ctx.go(`#/audit${p.toString() ? `?${p}` : ''}`);
  });
  replace(ctx.main, h('h1', {}, 'Audit trail'), form,
    h('section', { class: 'card' }, h('p', { class: 'muted small' }, `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (newest first, at most 200).`),
      h('table', { class: 'stack' }, h('thead', {}, h('tr', {}, ['When', 'Who', 'What', 'On', 'Outcome', 'From'].map((x) => h('th', {}, x)))),
        h('tbody', {}, entries.map((e) => h('tr', {}, h('td', { 'data-label': 'When' }, when(e.at)), h('td', { 'data-label': 'Who' }, e.actor),
          h('td', { 'data-label': 'What', class: 'mono small' }, e.action), h('td', { 'data-label': 'On', class: 'mono small' }, e.resource),
          h('td', { 'data-label': 'Outcome' }, h('span', { class: `badge ${e.outcome === 'ok' ? 'state-alive' : 'state-dead'}` }, `${e.outcome} (${e.status})`)),
          h('td', { 'data-label': 'From', class: 'small' }, e.client)))))));
}
