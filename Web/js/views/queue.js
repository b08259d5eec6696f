// The queue: a team's work items, highest priority first, then oldest; filtered by workflow,
// by the role that may act, and by status. SLA states show as colour, shape and words. Only the
// rows in view are in the document, so 10,000 items scroll as quickly as ten.
import { h, replace, field, status, busy } from '../dom.js';
import * as api from '../api.js';
import { shortId, slaWords, statusWords, roleWords, roles } from '../format.js';
import { setCurrentTeam } from '../teamstate.js';
import * as session from '../session.js';

const ROW = 64;       // px, the height of one row (the stylesheet's .qrow)
const OVERSCAN = 6;   // rows drawn above and below the visible ones

export function slaBadge(sla) {
  const w = slaWords[sla] || { label: sla, mark: '' };
  return h('span', { class: `badge sla-${sla}` }, h('span', { 'aria-hidden': 'true' }, w.mark), w.label);
}

/** A scrolling window over `items`: draws only the rows in view. */
export function virtualList(items, rowFor, label) {
  const spacer = h('div', { class: 'queue-spacer', role: 'list', style: null });
  const box = h('div', { class: 'queue', tabindex: '0', 'aria-label': label }, spacer);
  spacer.style.height = `${items.length * ROW}px`;
  box.style.height = `${items.length * ROW + 2}px`;  // the stylesheet's max-height caps it
  let first = -1, last = -1;
  const draw = () => {
    const top = box.scrollTop, height = box.clientHeight || 600;
    const from = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const to = Math.min(items.length, Math.ceil((top + height) / ROW) + OVERSCAN);
    if (from === first && to === last) return;
    first = from; last = to;
    const rows = [];
    for (let i = from; i < to; i++) {
      const row = rowFor(items[i], i);
      row.style.top = `${i * ROW}px`;
      row.setAttribute('role', 'listitem');
      row.setAttribute('aria-posinset', String(i + 1));
      row.setAttribute('aria-setsize', String(items.length));
      rows.push(row);
    }
    spacer.replaceChildren(...rows);
  };
  box.addEventListener('scroll', () => requestAnimationFrame(draw), { passive: true });
  requestAnimationFrame(draw);
  box.redraw = () => { first = -1; draw(); };
  return box;
}

export default async function queue(ctx) {
  const id = ctx.params.team;
  setCurrentTeam(id);
  const filters = { workflow: ctx.query.get('workflow') || '', role: ctx.query.get('role') || '', status: ctx.query.get('status') || '' };
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString();
  const started = performance.now();
  const [t, { workflows }, { items }, info] = await Promise.all([api.get(`/api/v1/teams/${id}`), api.get(`/api/v1/teams/${id}/workflows`),
    api.get(`/api/v1/teams/${id}/items${query ? `?${query}` : ''}`), api.nodeInfo()]);
  const fetched = performance.now();
  ctx.title(`Queue · ${t.name}`);
  const names = new Map(workflows.map((w) => [w.id, w.name]));

  const pick = (name, options, labelText) => {
    const select = h('select', { name }, h('option', { value: '' }, 'All'), options.map(([v, l]) => h('option', { value: v, selected: filters[name] === v }, l)));
    select.addEventListener('change', () => {
      const q = new URLSearchParams(Object.entries({ ...filters, [name]: select.value }).filter(([, v]) => v));
      ctx.go(`#/teams/${id}/queue${q.toString() ? `?${q}` : ''}`);
    });
    return field(labelText, select);
  };

  const counts = { ok: 0, warning: 0, overdue: 0, done: 0 };
  for (const i of items) counts[i.sla] = (counts[i.sla] || 0) + 1;
  const rowFor = (i) => h('a', { class: 'qrow', href: `#/teams/${id}/items/${i.id}`, 'data-item': i.id },
    h('span', { class: 'title' }, i.title),
    h('span', { class: 'meta' }, `${names.get(i.workflow) || 'workflow'} · ${i.stageName} · ${statusWords[i.status] || i.status}`,
      i.assignee ? ` · ${isMine(i.assignee, info) ? 'you' : i.assigneeName || shortId(i.assignee)}` : '', ` · P${i.priority}`),
    slaBadge(i.sla));
  const list = items.length ? virtualList(items, rowFor, `Work items, ${items.length}`) : h('p', { class: 'muted' },
    workflows.length ? 'No item matches. Create one below.' : 'Define a workflow first, then create items in it.');

  // Drawn again by a live update: keep the reader's place in the list.
  const keepScroll = ctx.main.querySelector('.queue')?.scrollTop || 0;
  replace(ctx.main,
    h('div', { class: 'row spread' }, h('h1', {}, `Queue of ${t.name}`), h('a', { class: 'button', href: `#/teams/${id}/workflows` }, 'Workflows')),
    h('section', { class: 'card', 'aria-label': 'Filters' }, h('div', { class: 'grid two' },
      pick('workflow', workflows.map((w) => [w.id, w.name]), 'Workflow'),
      pick('role', roles.map((r) => [r, roleWords[r]]), 'Items a role may act on'),
      pick('status', Object.entries(statusWords), 'Status'))),
    h('p', { class: 'row', 'aria-live': 'polite', id: 'queue-summary' }, `${items.length} item${items.length === 1 ? '' : 's'}:`,
      ['overdue', 'warning', 'ok', 'done'].filter((k) => counts[k]).map((k) => [slaBadge(k), ` ${counts[k]}`])),
    list,
    workflows.length ? newItem(ctx, id, workflows, filters.workflow) : null);
  if (keepScroll && list.classList.contains('queue')) { list.scrollTop = keepScroll; list.redraw(); }
  // The figure script reads how long fetching and drawing took (performance entries).
  // (the fetch: the API's answer parsed; the draw: from the data to the first frame shown).
  performance.measure('queue-fetch', { start: started, end: fetched, detail: { items: items.length } });
  requestAnimationFrame(() => performance.measure('queue-draw', { start: fetched, end: performance.now(), detail: { items: items.length } }));
  ctx.onEvent((e) => e.type === 'replica' && e.team === id);
}

function newItem(ctx, team, workflows, chosen) {
  const workflow = h('select', { name: 'workflow', required: true }, workflows.map((w) => h('option', { value: w.id, selected: w.id === chosen }, w.name)));
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200, autocomplete: 'off' });
  const priority = h('input', { type: 'number', name: 'priority', min: 0, max: 9, value: 5, inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add to the queue');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-item' }, h('h2', { id: 'new-item' }, 'New work item'),
    h('div', { class: 'grid two' }, field('Workflow', workflow), field('Priority (0 low to 9 high)', priority)), field('Title', title), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const item = await api.post(`/api/v1/teams/${team}/items`, { workflow: workflow.value, title: title.value, priority: Number(priority.value) });
      ctx.go(`#/teams/${team}/items/${item.id}`);
    });
  });
  return form;
}

/**
 * Whether an item's assignee is the one signed in here: their person (a member who claims signs
 * as themself), or this node (the claim of someone who is not a member of the team, or of the
 * node's operator, is the node's).
 */
export function isMine(assignee, info) {
  const person = session.current()?.account?.person;
  return Boolean(assignee) && (assignee === person || assignee === info.nodeId);
}
