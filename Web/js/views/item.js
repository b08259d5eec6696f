// One work item: where it stands, its SLA, the next step (claim, start, complete) when the
// team's rules allow it, and its thread of messages. Another node's change shows here as it
// arrives.
import { h, replace, status, busy } from '../dom.js';
import * as api from '../api.js';
import { shortId, statusWords, duration } from '../format.js';
import { slaBadge, isMine } from './queue.js';
import { conversation, isOtherChange, screenHold } from './conversation.js';

const steps = [
  ['claim', 'Claim', (i) => i.status === 'queued', 'Take it: you become its assignee.'],
  ['start', 'Start', (i) => i.status === 'claimed', 'Say you are working on it.'],
  ['complete', 'Complete', (i) => i.status === 'claimed' || i.status === 'in_progress', 'Finish this stage; the item moves to the next one.'],
];

// The hold of each context's latest draw (see screenHold): a step draws the item again in the
// same context, and the draw before it stops.
const holds = new WeakMap();

export default async function item(ctx) {
  const { team, item: id } = ctx.params;
  // The last draw stops (its thread listens no more); a draw that finds the screen left when
  // the node answers draws nothing over the screen now shown.
  holds.get(ctx)?.release();
  const hold = screenHold(ctx);
  holds.set(ctx, hold);
  const [i, { workflows }, info, t, access] = await Promise.all([api.get(`/api/v1/teams/${team}/items/${id}`), api.get(`/api/v1/teams/${team}/workflows`),
    api.nodeInfo(), api.get(`/api/v1/teams/${team}`), api.get(`/api/v1/teams/${team}/access/me`)]);
  const w = workflows.find((x) => x.id === i.workflow);
  const stage = w?.stages[i.stage];
  ctx.title(i.title);
  const out = status();
  const mine = isMine(i.assignee, info);
  const buttons = steps.map(([step, label, allowed, hint]) => {
    const ok = allowed(i) && (step === 'claim' || mine);
    const b = h('button', { type: 'button', class: ok ? 'primary' : null, disabled: !ok, 'data-step': step, title: hint }, label);
    b.addEventListener('click', () => busy(b, out, async () => { await api.post(`/api/v1/teams/${team}/items/${id}/${step}`); await item(ctx); }));
    return b;
  });
  const role = access.basis.startsWith('role:') ? access.basis.slice(5) : access.basis;
  const thread = await conversation({ team, place: { item: id }, members: t.members, canPost: access.permissions['messages.post'], role,
    cleanup: hold.cleanup, label: `Thread of ${i.title}` });
  if (hold.left()) return;
  replace(ctx.main,
    h('p', {}, h('a', { href: `#/teams/${team}/queue` }, '← Queue')),
    h('article', { class: 'card', 'aria-labelledby': 'item-title' },
      h('div', { class: 'row spread' }, h('h1', { id: 'item-title' }, i.title), slaBadge(i.sla)),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Status'), h('dd', { id: 'item-status', 'data-status': i.status }, statusWords[i.status] || i.status),
        h('dt', {}, 'Assignee'), h('dd', { id: 'item-assignee' }, i.assignee ? (mine ? 'you' : h('span', { class: i.assigneeName ? null : 'mono', title: i.assignee },
          i.assigneeName || shortId(i.assignee))) : 'nobody yet'),
        h('dt', {}, 'Workflow'), h('dd', {}, w?.name || shortId(i.workflow)),
        h('dt', {}, 'Stage'), h('dd', {}, `${i.stage + 1} of ${w?.stages.length ?? '?'}: ${i.stageName}`),
        h('dt', {}, 'Who acts here'), h('dd', {}, stage ? stage.roles.join(', ') : ''),
        h('dt', {}, 'SLA of the stage'), h('dd', {}, duration(stage?.slaSeconds)),
        h('dt', {}, 'Priority'), h('dd', {}, String(i.priority)),
        h('dt', {}, 'Revision'), h('dd', { class: 'mono small', title: i.revision }, shortId(i.revision))),
      h('div', { class: 'row', role: 'group', 'aria-label': 'Next step' }, buttons), out,
      i.assignee && !mine && i.status !== 'completed' ? h('p', { class: 'muted small' }, 'Another device holds this item; only its assignee starts or completes it.') : null),
    h('section', { class: 'card', 'aria-labelledby': 'thread-h', id: 'thread' }, h('h2', { id: 'thread-h' }, 'Thread'),
      h('p', { class: 'muted small' }, 'Messages about this item, for everyone in the team.'), thread));
  // The thread follows new messages itself; every other change draws the item again.
  ctx.onEvent((e) => isOtherChange(e, team));
}
