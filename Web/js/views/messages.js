// Messages: a team's chat. Its channels with how many messages each holds, a way to open a new
// one by name, the open channel's conversation (conversation.js: paging, compose, live), and a
// search over the whole team. The address says what is shown: ?channel=NAME (general when
// absent) or ?q=WORDS, so every channel and every search has a link and the back button works.
import { h, replace, field, status, showError } from '../dom.js';
import * as api from '../api.js';
import * as events from '../events.js';
import * as session from '../session.js';
import { setCurrentTeam } from '../teamstate.js';
import { conversation, messageItem, messagePlace, isPeopleChange, screenHold } from './conversation.js';

/** A channel's name, as every node checks it. */
export const CHANNEL = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const CHANNEL_RULE = '1 to 32 lowercase letters, digits, "-" or "_", starting with a letter or digit';
const SEARCH_BYTES = 200, SEARCH_WORDS = 8;

/** What a typed name could be as a channel ("Field Ops!" → "field-ops"); '' when nothing is left. */
function channelFrom(typed) {
  return typed.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 32).replace(/-+$/, '');
}

/** Why a channel name is refused, in words, or null when it is a good one. */
function channelProblem(name) {
  if (CHANNEL.test(name)) return null;
  if (!name) return `Give the channel a name: ${CHANNEL_RULE}.`;
  const suggestion = channelFrom(name);
  return `“${name}” cannot be a channel name: use ${CHANNEL_RULE}${CHANNEL.test(suggestion) ? `, such as “${suggestion}”` : ''}.`;
}

/** Why a search is refused (the node's limits), or null. */
function searchProblem(words) {
  const n = words.split(/\s+/).filter(Boolean).length;
  if (!n) return 'Type at least one word to search for.';
  if (new TextEncoder().encode(words).length > SEARCH_BYTES) return `A search is at most ${SEARCH_BYTES} bytes: use fewer or shorter words.`;
  if (n > SEARCH_WORDS) return `A search is at most ${SEARCH_WORDS} words; this one has ${n}.`;
  return null;
}

// A channel just opened by name: its compose box gets the focus once it is drawn.
let focusCompose = false;

export default async function messages(ctx) {
  const id = ctx.params.team;
  setCurrentTeam(id);
  const hold = screenHold(ctx);
  const q = ctx.query.get('q');
  const searching = q !== null;
  const channel = ctx.query.get('channel') || 'general';
  const link = (query) => `#/teams/${id}/messages${query ? `?${query}` : ''}`;

  // The channel counts follow the events: each new message's op names its channel, and the count
  // goes up by one, with nothing fetched. The list is fetched again only when that cannot be
  // trusted: after the events socket reconnects (messages may have come while it was closed), for
  // an op that does not name its place, and once after drawing when a message came while the
  // screen was loading (the first list may or may not hold it).
  let counts = null;      // channel name → messages, once the list is in
  let loading = true, missed = false, timer = null;
  const refetch = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try { setCounts((await api.get(`/api/v1/teams/${id}/channels`, { retries: 1 })).channels); } catch { /* the next reconnect or unnamed op tries again */ }
    }, 300);
  };
  const unsubscribe = events.subscribe((e) => {
    const reconnected = e.type === 'connection' && e.status === 'open';
    const posted = e.type === 'replica' && e.team === id ? (e.ops || []).filter((op) => op.action === 'post-message' && op.outcome === 'applied') : [];
    if (!reconnected && !posted.length) return;
    if (loading) { missed = true; return; }
    if (reconnected || posted.some((op) => !messagePlace(op))) return refetch();
    for (const op of posted) {
      const { channel: name } = messagePlace(op);
      if (name) counts.set(name, (counts.get(name) || 0) + 1);
    }
    drawChannels();
  });
  hold.cleanup(() => { unsubscribe(); clearTimeout(timer); });

  const [t, me, listed] = await Promise.all([api.get(`/api/v1/teams/${id}`), api.get(`/api/v1/teams/${id}/access/me`),
    api.get(`/api/v1/teams/${id}/channels`)]);
  ctx.title(searching ? `Search messages · ${t.name}` : `#${channel} · ${t.name}`);

  // The channels: general always, the one open even before its first message, then every
  // channel that has messages, by name.
  const channelList = h('ul', { class: 'channel-list', id: 'channels' });
  function setCounts(channels) {
    counts = new Map(channels.map((c) => [c.name, c.count]));
    drawChannels();
  }
  function drawChannels() {
    const all = new Map(counts);
    if (!all.has('general')) all.set('general', 0);
    if (!searching && CHANNEL.test(channel) && !all.has(channel)) all.set(channel, 0);
    const names = [...all.keys()].sort((a, b) => (a === 'general' ? -1 : b === 'general' ? 1 : a.localeCompare(b)));
    replace(channelList, names.map((name) => h('li', { dataset: { channel: name } },
      h('a', { href: link(name === 'general' ? '' : `channel=${name}`), 'aria-current': !searching && name === channel ? 'page' : null },
        h('span', { class: 'channel-name' }, `#${name}`),
        h('span', { class: 'count', 'aria-label': `${all.get(name)} message${all.get(name) === 1 ? '' : 's'}` }, String(all.get(name)))))));
  }
  setCounts(listed.channels);

  // Grid areas place these: beside the conversation on a wide screen; on a phone, search and
  // channels above it and the new channel form under it, so the messages come early.
  const side = [searchForm(ctx, link, q),
    h('nav', { class: 'chat-channels', 'aria-labelledby': 'channels-h' }, h('h2', { id: 'channels-h' }, 'Channels'), channelList),
    newChannelForm(ctx, link)];

  const role = me.basis.startsWith('role:') ? me.basis.slice(5) : me.basis;
  let body;
  if (searching) body = await results(id, q, link, t);
  else if (channelProblem(channel)) {
    const out = status();
    showError(out, channelProblem(channel));
    body = h('section', { class: 'card chat-main' }, h('h2', {}, 'Not a channel name'), out, h('p', {}, h('a', { href: link('') }, 'Open #general')));
  } else {
    const heading = h('h2', { id: 'channel-h' }, `#${channel}`);
    let shown;
    try {
      shown = await conversation({ team: id, place: { channel }, members: t.members, canPost: me.permissions['messages.post'], role,
        cleanup: hold.cleanup, label: `Messages in #${channel}` });
    } catch (e) {
      // The node refused this channel (its rule may be stricter than the page's): its words.
      if (!(e instanceof api.ApiError) || e.status !== 400) throw e;
      shown = status();
      showError(shown, e);
    }
    body = h('section', { class: 'card chat-main', 'aria-labelledby': 'channel-h', dataset: { channel } }, heading, shown);
  }

  // Left while the node answered (another screen is drawn now): draw nothing over it.
  if (hold.left()) return;
  replace(ctx.main,
    h('p', { class: 'back' }, h('a', { href: `#/teams/${id}` }, `← ${t.name}`)),
    h('h1', {}, 'Messages'),
    h('div', { class: 'chat-layout' }, side, body));
  if (focusCompose) { focusCompose = false; ctx.main.querySelector('.compose textarea')?.focus(); }

  loading = false;
  if (missed) refetch();
  // A change of members, names or roles draws the whole screen again (a draft survives it, see
  // conversation.js); work on items does not concern it.
  ctx.onEvent((e) => isPeopleChange(e, id));
}

function searchForm(ctx, link, q) {
  const input = h('input', { type: 'search', name: 'q', id: 'search-q', value: q || '', autocomplete: 'off', maxlength: SEARCH_BYTES,
    enterkeyhint: 'search', placeholder: 'Every word, any case', 'aria-describedby': 'search-hint' });
  const submit = h('button', { type: 'submit' }, 'Search');
  const out = status();
  // One line (the field and its button), so on a phone the messages stay near the top.
  const form = h('form', { class: 'search-form field', role: 'search' }, h('label', { for: 'search-q' }, 'Search messages'),
    h('div', { class: 'search-row' }, input, submit),
    h('small', { id: 'search-hint', class: 'hint visually-hidden' }, 'Finds messages with every word, whatever the case and accents.'), out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const words = input.value.trim();
    const problem = searchProblem(words);
    if (problem) return showError(out, problem);
    ctx.go(link(`q=${encodeURIComponent(words)}`));
  });
  return form;
}

function newChannelForm(ctx, link) {
  const input = h('input', { type: 'text', name: 'channel', autocomplete: 'off', spellcheck: 'false', maxlength: 32, autocapitalize: 'none',
    placeholder: 'field-ops' });
  const submit = h('button', { type: 'submit' }, 'Open');
  const out = status();
  const form = h('form', { class: 'new-channel' }, field('Channel name', input, `${CHANNEL_RULE[0].toUpperCase()}${CHANNEL_RULE.slice(1)}. It is listed once it has a message.`),
    submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = input.value.trim();
    const problem = channelProblem(name);
    if (problem) { showError(out, problem); input.focus(); return; }
    focusCompose = true;
    ctx.go(link(name === 'general' ? '' : `channel=${name}`));
  });
  return h('details', { class: 'new-channel-box' }, h('summary', {}, 'New channel'), form);
}

/** The search's results, newest first: where each one is (a link there), who, when, the text. */
async function results(team, q, link, t) {
  const out = status();
  const section = (...children) => h('section', { class: 'card chat-main', 'aria-labelledby': 'results-h', id: 'search-results' },
    h('h2', { id: 'results-h' }, 'Search'), ...children);
  const problem = searchProblem(q.trim());
  if (problem) { showError(out, problem); return section(out); }
  let found;
  try {
    found = await api.get(`/api/v1/teams/${team}/messages?q=${encodeURIComponent(q.trim())}&limit=50`);
  } catch (e) {
    if (!(e instanceof api.ApiError) || e.status !== 400) throw e;
    showError(out, e);
    return section(out);
  }
  // A result in an item's thread is named by the item's title.
  const titles = new Map();
  if (found.messages.some((m) => m.item)) {
    for (const i of (await api.get(`/api/v1/teams/${team}/items`)).items) titles.set(i.id, i.title);
  }
  const me = session.current()?.account?.person || null;
  const n = found.messages.length;
  return section(
    h('p', { id: 'results-summary', 'aria-live': 'polite' }, n ? `${n}${found.more ? ' newest' : ''} message${n === 1 ? '' : 's'} with “${q.trim()}” in ${t.name}.`
      : `No message in ${t.name} has “${q.trim()}”.`),
    found.more ? h('p', { class: 'muted small' }, 'There are more: add a word to narrow the search.') : null,
    n ? h('ol', { class: 'chat-log-list results' }, found.messages.map((m) => {
      const place = m.item ? h('a', { href: `#/teams/${team}/items/${m.item}`, class: 'place' }, `Item: ${titles.get(m.item) || m.item.slice(0, 8)}`)
        : h('a', { href: link(m.channel === 'general' ? '' : `channel=${m.channel}`), class: 'place' }, `#${m.channel}`);
      const li = messageItem(m, me);
      li.prepend(h('div', { class: 'small' }, place));
      return li;
    })) : null);
}
