// The mesh as this node sees it: itself in the middle, its peers around, a line for each live
// link; each peer's state in colour, shape and words (alive, suspect, dead, not linked). Redrawn
// when a peer's state changes, and every 10 s. Pairing codes and the mesh's notices below.
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { shortId, when, fromNow } from '../format.js';

const stateWords = { alive: 'alive', suspect: 'suspect', dead: 'dead', unlinked: 'not linked' };

export function picture(selfId, peers) {
  const W = 640, H = 420, cx = W / 2, cy = H / 2, r = Math.min(W, H) / 2 - 60;
  const nodes = peers.map((p, i) => {
    const a = (2 * Math.PI * i) / Math.max(peers.length, 1) - Math.PI / 2;
    return { ...p, x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
  });
  const summary = peers.length ? peers.map((p) => `${shortId(p.nodeId)} ${stateWords[p.state] || p.state}${p.linked ? ', linked' : ''}`).join('; ') : 'no peers';
  // A line runs from the edge of this node's circle to the edge of the peer's; a peer's words sit
  // on the far side of its circle, away from the line.
  const line = (p) => {
    const dx = p.x - cx, dy = p.y - cy, d = Math.hypot(dx, dy) || 1;
    return h('svg:line', { x1: cx + (dx * 30) / d, y1: cy + (dy * 30) / d, x2: p.x - (dx * 24) / d, y2: p.y - (dy * 24) / d,
      class: `link${p.linked ? '' : ' unlinked'}` });
  };
  const label = (p, above, below, cls, text) => h('svg:text', { x: p.x, y: p.y + (p.y < cy - 1 ? above : below), class: cls }, text);
  return h('svg:svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `This node and its peers: ${summary}` },
    nodes.map(line),
    h('svg:circle', { cx, cy, r: 26, class: 'self' }), h('svg:text', { x: cx, y: cy + 46 }, 'this node'),
    nodes.map((p) => h('svg:g', { 'data-peer': p.nodeId, 'data-state': p.state },
      h('svg:circle', { cx: p.x, cy: p.y, r: 20, class: p.state }),
      label(p, -42, 38, null, shortId(p.nodeId)),
      label(p, -26, 54, 'state', `${stateWords[p.state] || p.state}${p.rttMs ? ` · ${p.rttMs.toFixed(1)} ms` : ''}`))));
}

export default async function mesh(ctx) {
  ctx.title('Mesh');
  const founder = session.isFounder();
  const [info, { peers }, { notices }] = await Promise.all([api.nodeInfo(), api.get('/api/v1/p2p/peers'), api.get('/api/v1/p2p/notices')]);
  const drawing = h('div', { class: 'mesh', id: 'mesh-picture' }, picture(info.nodeId, peers));
  const table = h('table', { class: 'stack' }, h('thead', {}, h('tr', {}, ['Peer', 'State', 'Link', 'Trust', 'Last heard', 'Address'].map((x) => h('th', {}, x)))),
    h('tbody', {}, peers.map((p) => h('tr', {},
      h('td', { 'data-label': 'Peer', class: 'mono', title: p.nodeId }, shortId(p.nodeId)),
      h('td', { 'data-label': 'State' }, h('span', { class: `badge state-${p.state}` }, stateWords[p.state] || p.state)),
      h('td', { 'data-label': 'Link' }, p.linked ? 'linked' : 'no link'), h('td', { 'data-label': 'Trust' }, p.trust || '—'),
      h('td', { 'data-label': 'Last heard' }, p.lastSeenMsAgo != null ? `${Math.round(p.lastSeenMsAgo / 1000)} s ago` : '—'),
      h('td', { 'data-label': 'Address', class: 'mono small' }, (p.addresses || []).join(', ') || '—')))));
  replace(ctx.main, h('h1', {}, 'Mesh'),
    h('section', { class: 'card', 'aria-labelledby': 'pic-h' }, h('h2', { id: 'pic-h' }, `Peers (${peers.length})`), drawing,
      peers.length ? table : h('p', { class: 'muted' }, 'No peer yet. Pair with another device by code (below), or start the node with --peer HOST:PORT.')),
    h('div', { class: 'grid two' }, founder ? pairingCard() : null, noticesCard(ctx, notices, founder)));
  ctx.onEvent((e) => e.type === 'peer' || e.type === 'paired' || e.type === 'notice');
  ctx.every(10_000, async () => {
    try { drawing.replaceChildren(picture(info.nodeId, (await api.get('/api/v1/p2p/peers')).peers)); } catch { /* the banner says so */ }
  });
}

function pairingCard() {
  const make = h('button', { type: 'button', class: 'primary' }, 'Make a pairing code');
  const out = status();
  const shown = h('div', { 'aria-live': 'polite' });
  make.addEventListener('click', () => busy(make, out, async () => {
    const i = await api.post('/api/v1/p2p/invites', { expires: '1h' });
    replace(shown, h('p', { class: 'code', 'aria-label': `Code: ${i.code.split('').join(' ')}` }, i.code),
      h('p', {}, `Expires ${when(i.expiresAt)} (${fromNow(i.expiresAt)}). The other device enters it under Teams → Join by code.`));
  }));
  return h('section', { class: 'card', 'aria-labelledby': 'pair-h' }, h('h2', { id: 'pair-h' }, 'Pair a device'),
    h('p', {}, 'A code links two devices (no team). To bring someone into a team, make the code on the team\'s page.'),
    make, out, shown, h('p', {}, h('a', { href: '#/join' }, 'Enter a code made elsewhere')));
}

function noticesCard(ctx, notices, founder) {
  const text = h('input', { type: 'text', name: 'notice', maxlength: 280, required: true });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send to the mesh');
  const out = status();
  const form = h('form', {}, field('Notice', text, 'A short text every node of the mesh receives.'), send, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(send, out, async () => { await api.post('/api/v1/p2p/notices', { text: text.value }); text.value = ''; showOk(out, 'Sent.'); });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'notices-h' }, h('h2', { id: 'notices-h' }, 'Notices'),
    notices.length ? h('ul', {}, notices.slice().reverse().map((n) => h('li', {}, h('span', { class: 'mono small', title: n.origin }, shortId(n.origin)), ': ', n.text,
      h('span', { class: 'muted small' }, ` (${n.hops} hop${n.hops === 1 ? '' : 's'})`)))) : h('p', { class: 'muted' }, 'No notice yet.'),
    founder ? form : null);
}
