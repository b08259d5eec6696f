// Diagnostics (founder): the node's counters as it reports them at /diagnostics.
import { h, replace } from '../dom.js';
import * as api from '../api.js';

function rows(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...rows(v, `${prefix}${k}.`));
    else out.push([`${prefix}${k}`, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  return out;
}

export default async function diagnostics(ctx) {
  ctx.title('Diagnostics');
  draw(ctx, await api.get('/diagnostics'));
  ctx.every(5000, async () => { try { draw(ctx, await api.get('/diagnostics')); } catch { /* the banner says so */ } });
}

function draw(ctx, d) {
  const counters = rows({ node: d.node, transport: d.transport });
  replace(ctx.main, h('h1', {}, 'Diagnostics'),
    h('section', { class: 'card' }, h('dl', { class: 'kv' }, h('dt', {}, 'Node ID'), h('dd', { class: 'mono' }, d.nodeId), h('dt', {}, 'Version'), h('dd', {}, d.version),
      h('dt', {}, 'Live links'), h('dd', {}, String(d.links)))),
    h('section', { class: 'card', 'aria-labelledby': 'c-h' }, h('h2', { id: 'c-h' }, `Counters (${counters.length})`),
      h('dl', { class: 'kv small' }, counters.map(([k, v]) => [h('dt', { class: 'mono' }, k), h('dd', {}, v)]))),
    h('p', { class: 'muted small' }, 'Prometheus metrics: /metrics (with the founder\'s token). Updated every 5 s.'));
}
