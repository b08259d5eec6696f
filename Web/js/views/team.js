// One team: its members and their roles (change, remove), adding a person, invite codes (shown
// large, with their expiry), and which accounts of this node may do what in it.
import { h, replace, field, status, busy, showOk, showError } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { shortId, when, fromNow, roles, roleWords, memberName } from '../format.js';
import { setCurrentTeam } from '../teamstate.js';

// The confirmation of the last addition: the write's own replica event redraws this screen a
// moment later, and the confirmation must outlive that redraw. It goes when the page is left.
let added = null;  // {team, text}

export default async function team(ctx) {
  const id = ctx.params.team;
  setCurrentTeam(id);
  const [t, info, me, invites] = await Promise.all([
    api.get(`/api/v1/teams/${id}`), api.nodeInfo(), api.get(`/api/v1/teams/${id}/access/me`),
    session.isFounder() ? api.get('/api/v1/p2p/invites') : null,
  ]);
  // Ask only for what the caller may see, so a refusal never reaches the console.
  const [access, accounts] = me.permissions['team.manage']
    ? await Promise.all([api.get(`/api/v1/teams/${id}/access`), session.isFounder() ? api.get('/api/v1/accounts') : null]) : [null, null];
  ctx.title(t.name);
  // The signed-in person acts as themself when a member, else through this node (whose role the
  // founder and the operator act with): the higher of the two decides what is shown.
  const person = session.current()?.account?.person;
  const asPerson = person ? t.members.find((m) => m.person === person)?.role : undefined;
  const asNode = t.members.find((m) => m.nodeId === info.nodeId)?.role;
  const mine = roles.indexOf(asPerson) > roles.indexOf(asNode) ? asPerson : asNode;
  const canManage = Boolean(access) && (mine === 'admin' || mine === 'super-admin');
  replace(ctx.main,
    h('div', { class: 'row spread' }, h('h1', {}, t.name),
      h('div', { class: 'row' }, h('a', { class: 'button', href: `#/teams/${id}/messages` }, 'Messages'),
        h('a', { class: 'button', href: `#/teams/${id}/queue` }, 'Queue'),
        h('a', { class: 'button', href: `#/teams/${id}/workflows` }, 'Workflows'), h('a', { class: 'button', href: '#/vault' }, 'Vault'))),
    h('p', { class: 'muted small' }, 'Team ID ', h('code', {}, id)),
    membersCard(ctx, t, info, canManage),
    canManage ? addCard(ctx, t, accounts?.accounts) : null,
    session.isFounder() ? inviteCard(ctx, t, invites?.invites || []) : null,
    access ? accessCard(ctx, t, access.access, accounts?.accounts) : null);
  ctx.onEvent((e) => (e.type === 'replica' && e.team === id) || e.type === 'paired');
}

function membersCard(ctx, t, info, canManage) {
  const out = status();
  const person = session.current()?.account?.person;
  const rows = t.members.map((m) => {
    // A person's ID names them on every node; a node member (kind node) is named by its node ID.
    const id = m.person || m.nodeId;
    const isNode = m.nodeId === info.nodeId, isYou = Boolean(person) && m.person === person;
    // Neither this node nor yourself is demoted or removed from here by a slip of the hand.
    const locked = !canManage || m.role === 'super-admin' || isNode || isYou;
    const select = h('select', { 'aria-label': `Role of ${memberName(m)}`, disabled: locked },
      ['guest', 'member', 'admin'].map((r) => h('option', { value: r, selected: m.role === r }, roleWords[r])),
      m.role === 'super-admin' ? h('option', { value: 'super-admin', selected: true }, roleWords['super-admin']) : null);
    select.addEventListener('change', () => busy(select, out, async () => {
      await api.put(`/api/v1/teams/${t.id}/members/${id}`, { role: select.value });
      showOk(out, `${memberName(m)} is now ${roleWords[select.value]}.`);
    }));
    const remove = h('button', { type: 'button', class: 'danger', disabled: locked }, 'Remove');
    remove.addEventListener('click', () => {
      if (!confirm(`Remove ${memberName(m)} from ${t.name}? They stop receiving the team's changes.`)) return;
      busy(remove, out, async () => { await api.del(`/api/v1/teams/${t.id}/members/${id}`); showOk(out, `${memberName(m)} was removed.`); });
    });
    const devices = m.devices || [m.nodeId];
    return h('tr', { dataset: { member: id } },
      h('td', { 'data-label': 'Member' }, h('span', { title: id, class: m.name ? null : 'mono' }, memberName(m)), ' ',
        h('span', { class: 'badge role' }, m.kind === 'node' ? 'device' : 'person'),
        isNode ? h('span', { class: 'muted' }, ' (this node)') : null, isYou ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', { 'data-label': 'Devices' }, devices.length ? h('span', { class: 'mono small', title: devices.join(', ') }, devices.map(shortId).join(', '))
        : h('span', { class: 'muted small' }, 'none known yet')),
      h('td', { 'data-label': 'Role' }, select),
      h('td', { 'data-label': 'Action' }, remove));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'members-h' },
    h('h2', { id: 'members-h' }, `Members (${t.members.length})`),
    h('table', { class: 'stack', id: 'members' }, h('thead', {}, h('tr', {}, h('th', {}, 'Member'), h('th', {}, 'Devices'), h('th', {}, 'Role'), h('th', {}, 'Action'))),
      h('tbody', {}, rows)),
    canManage ? null : h('p', { class: 'muted small' }, 'Only an Admin of the team changes roles. The Super Admin keeps the role for good.'),
    out);
}

/**
 * Adds a person to the team: an account of this node chosen by username (the founder's list of
 * accounts), or a person of another node by the ID and public key their Account page shows.
 * Those without the list (another Admin) give the person ID: for a person of this node it is
 * enough, and the API says when a key and a name are needed as well.
 */
function addCard(ctx, t, accounts) {
  const inTeam = new Set(t.members.map((m) => m.person));
  const username = accounts ? h('select', { name: 'username' }, h('option', { value: '' }, 'Choose…'),
    accounts.map((a) => h('option', { value: a.person || '', disabled: !a.person || inTeam.has(a.person) },
      a.name && a.name !== a.username ? `${a.name} (${a.username})` : a.username,
      // An account made before persons existed gets its person (and keys) at its next sign-in.
      !a.person ? ' — signs in once first' : inTeam.has(a.person) ? ' — already a member' : ''))) : null;
  const person = h('input', { type: 'text', name: 'person', autocomplete: 'off', spellcheck: 'false' });
  const publicKey = h('input', { type: 'text', name: 'public-key', autocomplete: 'off', spellcheck: 'false', pattern: '[0-9a-fA-F]{64}', class: 'mono' });
  const name = h('input', { type: 'text', name: 'person-name', autocomplete: 'off', maxlength: 64 });
  const other = h('details', { class: 'field', open: !accounts }, h('summary', {}, 'A person of another node'),
    field('Person ID', person), field('Public key', publicKey, '64 hex digits, from their Account page. Not needed for a person of this node.'),
    field('Their name', name, 'As the team will see it.'));
  const role = h('select', { name: 'role' }, ['member', 'guest', 'admin'].map((r) => h('option', { value: r }, roleWords[r])));
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add to the team');
  const out = status();
  if (added?.team === t.id) showOk(out, added.text);
  const form = h('form', { class: 'card', 'aria-labelledby': 'add-h' }, h('h2', { id: 'add-h' }, 'Add a person'),
    h('p', { class: 'muted small' }, 'A person added here claims and works as themself, with their own name, from any device they sign in on.'),
    username ? field('Username on this node', username) : null, other, field('Role in the team', role), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    added = null;  // a redraw now shows this attempt's outcome, not the last one's
    busy(submit, out, async () => {
      // The open "another node" part is what the person means; closed, the username chosen.
      const body = other.open || !username ? { person: person.value.trim(), role: role.value } : { person: username.value, role: role.value };
      if (body.person === '') throw new Error(username ? 'Choose a username, or give the person ID of a person of another node.' : 'Give the person ID.');
      if (other.open && publicKey.value.trim()) body.publicKey = publicKey.value.trim();
      if (other.open && name.value.trim()) body.name = name.value.trim();
      const after = await api.post(`/api/v1/teams/${t.id}/members`, body);
      const who = after.members.find((m) => m.person === body.person);
      added = { team: t.id, text: `${memberName(who) || body.person} was added as ${roleWords[body.role]}.` };
      addEventListener('hashchange', () => { added = null; }, { once: true });
      await team(ctx);
    });
  });
  return form;
}

function inviteCard(ctx, t, invites) {
  const role = h('select', { name: 'role' }, ['member', 'guest', 'admin'].map((r) => h('option', { value: r }, roleWords[r])));
  const expires = h('select', { name: 'expires' }, [['1h', '1 hour'], ['12h', '12 hours'], ['7d', '7 days'], ['30d', '30 days']]
    .map(([v, label]) => h('option', { value: v, selected: v === '7d' }, label)));
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Make a code');
  const out = status();
  const shown = h('div', { 'aria-live': 'polite' });
  const form = h('form', {}, h('div', { class: 'grid two' }, field('Role of the newcomer', role), field('Valid for', expires)), submit, out, shown);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const invite = await api.post('/api/v1/p2p/invites', { team: t.id, role: role.value, expires: expires.value });
      const spoken = invite.code.split('').join(' ');
      replace(shown, h('p', {}, 'Read this code to the newcomer. It works once.'),
        h('p', { class: 'code', 'aria-label': `Code: ${spoken}`, 'data-code': invite.code }, invite.code),
        h('p', {}, `Role: ${roleWords[invite.role] || invite.role}. Expires ${when(invite.expiresAt)} (${fromNow(invite.expiresAt)}).`),
        h('p', { class: 'muted small' }, 'On their device: Teams → Join by code, or ', h('code', {}, `elohim join ${invite.code}`), '.'));
    });
  });
  const open = invites.filter((i) => i.team === t.id);
  return h('section', { class: 'card', 'aria-labelledby': 'invite-h' }, h('h2', { id: 'invite-h' }, 'Invite someone'), form,
    open.length ? h('details', {}, h('summary', {}, `Codes made for this team (${open.length})`), h('table', { class: 'stack' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Starts'), h('th', {}, 'Role'), h('th', {}, 'Status'), h('th', {}, 'Expires'), h('th', {}, 'Action'))),
      h('tbody', {}, open.map((i) => {
        const revoke = h('button', { type: 'button', disabled: i.status !== 'open' }, 'Revoke');
        revoke.addEventListener('click', () => busy(revoke, out, async () => { await api.del(`/api/v1/p2p/invites/${i.id}`); showOk(out, 'Revoked.'); ctx.go(location.hash); }));
        return h('tr', {}, h('td', { 'data-label': 'Starts', class: 'mono' }, `OMNI-${i.tag}-…`), h('td', { 'data-label': 'Role' }, roleWords[i.role] || i.role || ''),
          h('td', { 'data-label': 'Status' }, i.status, i.usedBy ? ` by ${shortId(i.usedBy)}` : ''), h('td', { 'data-label': 'Expires' }, when(i.expiresAt)),
          h('td', { 'data-label': 'Action' }, revoke));
      })))) : null);
}

/**
 * Which accounts of this node may do what in the team. The founder sees every account by its
 * username (GET /api/v1/accounts), those without a role too, so one can be given; another
 * manager of the team sees the accounts that have an assignment, by number (the API gives
 * usernames to the founder only), and their own by name.
 */
function accessCard(ctx, t, access, accounts) {
  const out = status();
  const me = session.current()?.account;
  const byId = new Map(access.map((a) => [a.account, a]));
  const rows = accounts ? accounts.map((acc) => ({ ...(byId.get(acc.id) || { account: acc.id, profiles: [], overrides: {} }), username: acc.username, founder: acc.founder }))
    : access.map((a) => ({ ...a, username: a.username || (a.account === me?.id ? me.username : null) }));
  const label = (a) => a.username || `account #${a.account}`;
  return h('section', { class: 'card', 'aria-labelledby': 'access-h' }, h('h2', { id: 'access-h' }, 'Accounts on this node'),
    h('p', { class: 'muted small' }, 'What each person signing in to this node may do in this team. The founder may do everything.'),
    h('table', { class: 'stack', id: 'access' }, h('thead', {}, h('tr', {}, h('th', {}, 'Account'), h('th', {}, 'Role'), h('th', {}, 'Profiles'))),
      h('tbody', {}, rows.map((a) => {
        const select = h('select', { 'aria-label': `Role of ${label(a)}`, disabled: Boolean(a.founder) },
          h('option', { value: '', selected: !a.role }, a.founder ? 'Founder' : 'None'),
          ['guest', 'member', 'admin', 'super-admin'].map((r) => h('option', { value: r, selected: a.role === r }, roleWords[r])));
        select.addEventListener('change', () => busy(select, out, async () => {
          await api.put(`/api/v1/teams/${t.id}/access/${a.account}`, select.value ? { role: select.value, profiles: a.profiles, overrides: a.overrides } : { profiles: a.profiles, overrides: a.overrides });
          showOk(out, `Saved: ${label(a)} is ${select.value ? roleWords[select.value] : 'without a role'} in ${t.name}.`);
        }));
        return h('tr', { dataset: { account: String(a.account) } }, h('td', { 'data-label': 'Account' }, label(a)), h('td', { 'data-label': 'Role' }, select),
          h('td', { 'data-label': 'Profiles' }, (a.profiles || []).join(', ') || '—'));
      }))),
    accounts ? null : h('p', { class: 'muted small' }, 'The founder sees every account by name, and can give a role to an account not listed here.'),
    out);
}
