// The workflow designer: a workflow is a list of stages; each names the roles that act in it
// and, optionally, how long an item may stay (its SLA: a warning at 80%, overdue at 100%).
import { h, replace, append, field, status, busy } from '../dom.js';
import * as api from '../api.js';
import { duration, roleWords, roles } from '../format.js';
import { setCurrentTeam } from '../teamstate.js';

const MAX_STAGES = 20;

export default async function workflows(ctx) {
  const id = ctx.params.team;
  setCurrentTeam(id);
  const [t, { workflows: list }] = await Promise.all([api.get(`/api/v1/teams/${id}`), api.get(`/api/v1/teams/${id}/workflows`)]);
  ctx.title(`Workflows · ${t.name}`);
  replace(ctx.main, h('h1', {}, `Workflows of ${t.name}`),
    h('section', { class: 'card', 'aria-labelledby': 'wf-list' }, h('h2', { id: 'wf-list' }, `Defined (${list.length})`),
      list.length ? list.map((w) => h('div', { class: 'card' }, h('div', { class: 'row spread' }, h('h3', {}, w.name),
        h('a', { href: `#/teams/${id}/queue?workflow=${w.id}` }, 'Its queue')),
        h('ol', {}, w.stages.map((s) => h('li', {}, h('strong', {}, s.name), ' · ', s.roles.map((r) => roleWords[r] || r).join(', '), ' · SLA ', duration(s.slaSeconds))))))
        : h('p', { class: 'muted' }, 'None yet: design the first one below.')),
    designer(ctx, id));
}

function stageEditor(stages, index, redraw) {
  const s = stages[index];
  const n = index + 1;
  const name = h('input', { type: 'text', required: true, maxlength: 100, value: s.name, name: `stage-${n}-name` });
  name.addEventListener('input', () => { s.name = name.value; });
  const checks = roles.map((r) => {
    const box = h('input', { type: 'checkbox', checked: s.roles.includes(r), name: `stage-${n}-role`, value: r });
    box.addEventListener('change', () => { s.roles = roles.filter((x) => (x === r ? box.checked : s.roles.includes(x))); });
    return h('label', {}, box, roleWords[r]);
  });
  const amount = h('input', { type: 'number', min: 0, max: 720, step: 1, value: s.slaAmount ?? '', name: `stage-${n}-sla`, inputmode: 'numeric' });
  amount.addEventListener('input', () => { s.slaAmount = amount.value; });
  const unit = h('select', { name: `stage-${n}-unit`, 'aria-label': `Stage ${n} SLA unit` },
    [['60', 'minutes'], ['3600', 'hours'], ['86400', 'days']].map(([v, label]) => h('option', { value: v, selected: String(s.slaUnit) === v }, label)));
  unit.addEventListener('change', () => { s.slaUnit = Number(unit.value); });
  const move = (delta, label) => h('button', { type: 'button', disabled: index + delta < 0 || index + delta >= stages.length, 'aria-label': `${label} stage ${n}` },
    delta < 0 ? '↑' : '↓');
  const up = move(-1, 'Move up'), down = move(1, 'Move down');
  up.addEventListener('click', () => { [stages[index - 1], stages[index]] = [stages[index], stages[index - 1]]; redraw(); });
  down.addEventListener('click', () => { [stages[index + 1], stages[index]] = [stages[index], stages[index + 1]]; redraw(); });
  const remove = h('button', { type: 'button', class: 'danger', disabled: stages.length === 1, 'aria-label': `Remove stage ${n}` }, 'Remove');
  remove.addEventListener('click', () => { stages.splice(index, 1); redraw(); });
  const slaId = `sla-${n}`;
  amount.id = slaId;
  return h('fieldset', { class: 'stage' }, h('legend', {}, `Stage ${n}`),
    field('Name', name),
    h('fieldset', {}, h('legend', {}, 'Who acts in it'), h('div', { class: 'checks' }, checks)),
    h('div', { class: 'field' }, h('label', { for: slaId }, 'SLA (empty: no limit)'), h('div', { class: 'row' }, h('div', { style: null }, amount), unit)),
    h('div', { class: 'row' }, up, down, remove));
}

function designer(ctx, team) {
  const stages = [{ name: 'Triage', roles: ['member', 'admin'], slaAmount: '4', slaUnit: 3600 }];
  const name = h('input', { type: 'text', required: true, maxlength: 100, name: 'workflow-name' });
  const list = h('div');
  const add = h('button', { type: 'button' }, 'Add a stage');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Save the workflow');
  const out = status();
  const redraw = () => {
    replace(list, stages.map((_, i) => stageEditor(stages, i, redraw)));
    add.disabled = stages.length >= MAX_STAGES;
  };
  add.addEventListener('click', () => { stages.push({ name: '', roles: ['member'], slaAmount: '', slaUnit: 3600 }); redraw(); list.lastChild.querySelector('input').focus(); });
  const form = h('form', { class: 'card', 'aria-labelledby': 'designer-h' }, h('h2', { id: 'designer-h' }, 'Design a workflow'),
    field('Workflow name', name, 'For example: Water point repairs.'), list, h('div', { class: 'row' }, add), h('p'), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const body = {
        name: name.value,
        stages: stages.map((s, i) => {
          if (!s.name.trim()) throw new Error(`Stage ${i + 1} needs a name.`);
          if (!s.roles.length) throw new Error(`Stage ${i + 1}: tick at least one role that acts in it.`);
          const stage = { name: s.name.trim(), roles: s.roles };
          const amount = Number(s.slaAmount);
          if (s.slaAmount !== '' && s.slaAmount !== undefined && amount > 0) stage.slaSeconds = Math.round(amount * Number(s.slaUnit));
          return stage;
        }),
      };
      await api.post(`/api/v1/teams/${team}/workflows`, body);
      ctx.go(`#/teams/${team}/queue`);
    });
  });
  redraw();
  return form;
}
