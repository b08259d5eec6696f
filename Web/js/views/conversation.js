// A conversation: the messages of one channel or of one work item's thread, oldest at the top,
// with "Load older", and a compose box under them. The Messages screen and the work item
// screen both show one. It keeps itself current: a new message in this conversation (a replica
// event with a `post-message` op naming this channel or item) makes it fetch the newest page
// again and merge it in, without redrawing the screen, so what someone is typing and where they
// have scrolled stay put. Messages elsewhere in the team fetch nothing.
//
// Message text is the team's, from any device: it is only ever set as text, never as markup.
import { h, replace, status, busy, showError } from '../dom.js';
import * as api from '../api.js';
import * as events from '../events.js';
import * as session from '../session.js';
import { shortId } from '../format.js';

export const MAX_BYTES = 8192;   // a message's text, in UTF-8 bytes (the API's limit)
const PAGE = 50;                 // messages fetched at a time
const encoder = new TextEncoder();

/** Where a `post-message` op's message went: {channel} or {item}, or null when the op does not say. */
export function messagePlace(op) {
  if (op.item != null) return { item: op.item };
  if (op.channel != null) return { channel: op.channel };
  return null;
}

/**
 * Whether `e` is a replica event of `team` that brought a new message to `place` ({channel} or
 * {item}). An op that does not name its place (an older node's event) may be anywhere: it counts.
 */
export function isNewMessageIn(e, team, place) {
  return e.type === 'replica' && e.team === team && (e.ops || []).some((op) => {
    if (op.action !== 'post-message' || op.outcome !== 'applied') return false;
    const at = messagePlace(op);
    return !at || (place.item ? at.item === place.item : at.channel === place.channel);
  });
}

/** Whether `e` changed `team` in a way other than a message (members, roles, items). */
export function isOtherChange(e, team) {
  return e.type === 'replica' && e.team === team && !(e.ops?.length && e.ops.every((op) => op.action === 'post-message'));
}

// The ops that change who is in the team, their names and roles (who may post, whom to mention).
const PEOPLE_OPS = new Set(['create-team', 'rename-team', 'add-member', 'remove-member', 'set-role', 'approve-promotion']);

/** Whether `e` changed `team`'s name, members or roles. */
export function isPeopleChange(e, team) {
  return e.type === 'replica' && e.team === team && (e.ops || []).some((op) => PEOPLE_OPS.has(op.action));
}

/** A member's ID as messages name it: the person's, or the node's for a device member. */
const memberId = (m) => m.person || m.nodeId;

/** What follows "@" for a member: their name, else the start of their ID. */
export function mentionLabel(member) {
  return member.name || memberId(member).slice(0, 8);
}

/**
 * Where "@Label" for one of `people` ({id, label}) occurs in `text`: [{start, end, person}],
 * the longest label winning at each "@" ("@Bo Chen" is Bo Chen, not Bo), and only when the
 * label ends there (not "@Bonnie" for Bo).
 */
export function findMentions(text, people) {
  const byLength = people.filter((p) => p.label).sort((a, b) => b.label.length - a.label.length);
  const found = [];
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    const rest = text.slice(at + 1);
    const person = byLength.find((p) => rest.startsWith(p.label) && !/^[\p{L}\p{N}_]/u.test(rest.slice(p.label.length)));
    if (person) {
      found.push({ start: at, end: at + 1 + person.label.length, person });
      at += person.label.length;
    }
  }
  return found;
}

/** A message's text as nodes: text, with each of its mentions marked. */
function textWithMentions(text, mentions) {
  const people = mentions.map((m) => ({ id: m.id, label: m.name || m.id.slice(0, 8) }));
  const parts = [];
  let from = 0;
  for (const { start, end, person } of findMentions(text, people)) {
    parts.push(text.slice(from, start), h('mark', { class: 'mention', title: person.id }, text.slice(start, end)));
    from = end;
  }
  parts.push(text.slice(from));
  return parts;
}

/** "14:05" today, "3 Dec, 14:05" this year, the full date before that; the full one as a tooltip. */
export function stamp(ms) {
  const d = new Date(ms), now = new Date();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  let shown = time;
  if (d.toDateString() !== now.toDateString()) {
    const date = d.getFullYear() === now.getFullYear() ? d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })
      : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
    shown = `${date}, ${time}`;
  }
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' }) }, shown);
}

/** One message: who, when, the text (mentions marked), attachments by ID. */
export function messageItem(m, me) {
  const mine = Boolean(me) && m.author === me;
  const forMe = Boolean(me) && m.mentions.some((x) => x.id === me);
  // A mention the text does not spell out (posted by a script, say) is still listed.
  const unspelled = m.mentions.filter((x) => !findMentions(m.text, [{ id: x.id, label: x.name || x.id.slice(0, 8) }]).length);
  return h('li', { class: ['msg', mine && 'mine', forMe && 'for-me'], dataset: { id: m.id, author: m.author } },
    h('div', { class: 'msg-head' },
      h('span', { class: ['author', m.authorName ? null : 'mono'], title: m.author }, m.authorName || shortId(m.author)),
      mine ? h('span', { class: 'muted small' }, '(you)') : null,
      stamp(m.atMs),
      forMe ? h('span', { class: 'badge mention-badge' }, 'mentions you') : null),
    h('div', { class: 'msg-text' }, textWithMentions(m.text, m.mentions)),
    unspelled.length ? h('div', { class: 'small muted' }, 'Mentions: ', unspelled.map((x) => x.name || shortId(x.id)).join(', ')) : null,
    m.attachments.length ? h('div', { class: 'small muted' }, `Attachment${m.attachments.length === 1 ? '' : 's'}: `,
      m.attachments.map((b, i) => [i ? ', ' : '', h('span', { class: 'mono', title: b }, shortId(b))])) : null);
}

/**
 * A screen's hold on its context, taken before its first await. `left()` says whether the screen
 * was left meanwhile (another screen, or a newer draw of this one, owns #main now), so a draw
 * still waiting for the node stops instead of drawing over it. `cleanup(fn)` runs fn when the
 * screen is left, or at once if it already was (a live subscription made late is never kept).
 * `release()` leaves it by hand: a screen that draws itself again in the same context.
 */
export function screenHold(ctx) {
  let left = false;
  const fns = [];
  const release = () => { left = true; for (const fn of fns.splice(0)) fn(); };
  ctx.cleanup.push(release);
  return { left: () => left, cleanup: (fn) => (left ? fn() : fns.push(fn)), release };
}

// What someone was writing, per team and place, kept while the page is open: switching
// channels, or the item screen drawn again by another change, does not lose it.
const drafts = new Map();

/**
 * Builds a conversation and fetches its first page; resolves to its element.
 * place: {channel: NAME} or {item: ID}. members: the team's. canPost: the caller's
 * messages.post; without it the compose box says the role only reads (the node still decides,
 * and its refusal is shown). role: the caller's in the team. cleanup(fn): runs fn when the
 * screen is left. label: what the log is called, for screen readers.
 */
export async function conversation({ team, place, members, canPost, role, cleanup, label }) {
  const me = session.current()?.account?.person || null;
  const where = place.item ? `item=${place.item}` : `channel=${encodeURIComponent(place.channel)}`;
  const draftKey = `${team}:${where}`;
  let shown = [];       // the messages in the log, oldest first
  let more = false;     // whether older ones are left on the node

  const log = h('ol', { class: 'chat-log-list' });
  const older = h('button', { type: 'button', class: 'older', hidden: true }, 'Load older');
  const olderOut = status();
  const empty = h('p', { class: 'muted empty', hidden: true }, place.item ? 'No message on this item yet.' : 'No message in this channel yet.');
  const box = h('div', { class: 'chat-log', role: 'log', 'aria-label': label, tabindex: '0' }, older, olderOut, empty, log);
  const below = h('button', { type: 'button', class: 'new-below', hidden: true }, 'New messages below ↓');

  const atBottom = () => box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const toBottom = () => { box.scrollTop = box.scrollHeight; below.hidden = true; };
  below.addEventListener('click', toBottom);
  box.addEventListener('scroll', () => { if (atBottom()) below.hidden = true; }, { passive: true });

  function draw() {
    replace(log, shown.map((m) => messageItem(m, me)));
    older.hidden = !more;
    empty.hidden = shown.length > 0;
  }

  const page = (before, options) => api.get(`/api/v1/teams/${team}/messages?${where}&limit=${PAGE}${before ? `&before=${before}` : ''}`, options);

  /**
   * Takes in the newest page: the messages from its first one on are replaced by it (which
   * also places one that arrived late from another device), the older ones loaded stay.
   * When its first one is not in the log (a gap, more than a page arrived), the log starts over.
   */
  function merge(newest) {
    const first = newest.messages[0];
    const at = first ? shown.findIndex((m) => m.id === first.id) : -1;
    const before = shown.length;
    if (at >= 0) shown = [...shown.slice(0, at), ...newest.messages];
    else { shown = newest.messages; more = newest.more; }
    return shown.length !== before;
  }

  let fetching = null, again = false;
  async function refresh() {
    // One fetch at a time; events during it ask for one more afterwards.
    if (fetching) { again = true; return; }
    const stay = atBottom();
    try {
      // A busy team can meet the node's rate limit: wait it out once rather than miss messages.
      fetching = page(null, { retries: 1 });
      const grew = merge(await fetching);
      draw();
      const last = shown[shown.length - 1];
      if (stay || (last && last.author === me)) toBottom();
      else if (grew) below.hidden = false;
    } catch (e) {
      // Shown, not thrown: the log keeps what it has and the next event tries again.
      showError(olderOut, e);
    } finally {
      fetching = null;
      if (again) { again = false; refresh(); }
    }
  }

  older.addEventListener('click', () => busy(older, olderOut, async () => {
    const oldest = shown[0];
    if (!oldest) return;
    const answer = await page(oldest.id);
    // Keep the reader's place: what they were reading stays where it was on the screen.
    const height = box.scrollHeight;
    shown = [...answer.messages.filter((m) => !shown.some((s) => s.id === m.id)), ...shown];
    more = answer.more;
    draw();
    box.scrollTop += box.scrollHeight - height;
    if (!more) olderOut.textContent = 'This is the first message.';
  }));

  // Live: a new message here (its event names the channel or item), and after the events socket
  // reconnects, messages may have come while it was closed. Other conversations cost nothing.
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
  const unsubscribe = events.subscribe((e) => {
    if (isNewMessageIn(e, team, place) || (e.type === 'connection' && e.status === 'open')) later();
  });
  cleanup(() => { unsubscribe(); clearTimeout(timer); });

  const first = await page();
  shown = first.messages;
  more = first.more;
  draw();
  const compose = composer({ team, place, members, canPost, role, me, draftKey, onSent: (m) => {
    if (!shown.some((s) => s.id === m.id)) shown = [...shown, m];
    draw();
    toBottom();
  } });
  const element = h('div', { class: 'conversation-box', dataset: { place: where } }, box, below, compose);
  // Drawn at the newest message once it is in the document.
  requestAnimationFrame(toBottom);
  return element;
}

/** The compose box: Enter sends, Shift+Enter is a new line, "@" offers the team's members. */
function composer({ team, place, members, canPost, role, me, draftKey, onSent }) {
  const people = members.filter((m) => memberId(m) !== me).map((m) => ({ id: memberId(m), label: mentionLabel(m), kind: m.kind }));
  const everyone = members.map((m) => ({ id: memberId(m), label: mentionLabel(m) }));
  const saved = drafts.get(draftKey) || '';
  const counterId = `count-${Math.random().toString(36).slice(2, 8)}`;
  const listId = `${counterId}-mentions`;
  const text = h('textarea', { name: 'message', rows: 2, 'aria-label': place.item ? 'Message to the thread' : `Message to #${place.channel}`,
    'aria-describedby': counterId, 'aria-autocomplete': 'list', 'aria-controls': listId,
    placeholder: place.item ? 'Write in the thread… (@ to mention)' : `Message #${place.channel}… (@ to mention)`, value: saved });
  const counter = h('span', { class: 'counter small muted', id: counterId }, '');
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const out = status();
  const suggestions = h('ul', { class: 'mention-list', id: listId, role: 'listbox', 'aria-label': 'Members to mention', hidden: true });
  // The node decides (a role may have changed since this was drawn): its refusal shows below.
  const note = canPost ? null : h('p', { class: 'muted small read-only' }, role === 'guest'
    ? 'You are a Guest in this team: guests only read. An Admin of the team can make you a Member to write here.'
    : 'Your role in this team does not post messages: you can read them.');
  const form = h('form', { class: 'compose' }, note, h('div', { class: 'compose-box' }, suggestions, text),
    h('div', { class: 'row spread' }, h('span', { class: 'small muted' }, 'Enter sends · Shift+Enter new line'), h('span', { class: 'row' }, counter, send)), out);

  const bytes = () => encoder.encode(text.value.trim()).length;
  function count() {
    const n = bytes();
    counter.textContent = `${n} / ${MAX_BYTES} bytes`;
    counter.classList.toggle('over', n > MAX_BYTES);
    drafts.set(draftKey, text.value);
  }
  count();

  // The "@" picker: the word being typed after an "@" filters the members; arrows move, Enter
  // or Tab picks, Escape closes. Picking writes "@Name", and sending mentions every member whose
  // "@Name" is in the text, picked or typed.
  let options = [], active = 0;
  function typedMention() {
    const upTo = text.value.slice(0, text.selectionStart);
    const m = /(?:^|\s)@([^\s@]{0,32})$/u.exec(upTo);
    return m ? { word: m[1], start: upTo.length - m[1].length - 1 } : null;
  }
  function closeSuggestions() {
    options = [];
    suggestions.hidden = true;
    text.removeAttribute('aria-activedescendant');
  }
  function drawSuggestions() {
    const typed = typedMention();
    if (!typed) return closeSuggestions();
    const word = typed.word.toLowerCase();
    options = people.filter((p) => !word || p.label.toLowerCase().split(/\s+/).some((part) => part.startsWith(word)) || p.label.toLowerCase().startsWith(word)).slice(0, 8);
    if (!options.length) return closeSuggestions();
    active = Math.min(active, options.length - 1);
    replace(suggestions, options.map((p, i) => {
      const option = h('li', { role: 'option', id: `${listId}-${i}`, 'aria-selected': String(i === active), dataset: { member: p.id } },
        p.label, p.kind === 'node' ? h('span', { class: 'muted small' }, ' (device)') : null);
      // mousedown, not click: the textarea keeps the focus and its caret.
      option.addEventListener('mousedown', (e) => { e.preventDefault(); pick(i); });
      return option;
    }));
    suggestions.hidden = false;
    text.setAttribute('aria-activedescendant', `${listId}-${active}`);
  }
  function pick(i) {
    const typed = typedMention();
    const person = options[i];
    if (!typed || !person) return closeSuggestions();
    const after = text.value.slice(text.selectionStart);
    const inserted = `@${person.label} `;
    text.value = text.value.slice(0, typed.start) + inserted + after.replace(/^\s/, '');
    const caret = typed.start + inserted.length;
    text.setSelectionRange(caret, caret);
    closeSuggestions();
    count();
  }

  text.addEventListener('input', () => { active = 0; count(); drawSuggestions(); });
  text.addEventListener('click', drawSuggestions);
  text.addEventListener('blur', () => setTimeout(closeSuggestions, 150));
  text.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    if (options.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        active = (active + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
        drawSuggestions();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); pick(active); return; }
      if (e.key === 'Escape') { e.preventDefault(); closeSuggestions(); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (send.disabled) return;  // Enter pressed again while the last one is on its way
    busy(send, out, async () => {
      const body = text.value.trim();
      if (!body) throw new Error('Write something first.');
      const n = bytes();
      if (n > MAX_BYTES) throw new Error(`A message is at most ${MAX_BYTES} bytes; this one is ${n}. Shorten it or send it in parts.`);
      const mentions = [...new Set(findMentions(body, everyone).map((f) => f.person.id))];
      const message = await api.post(`/api/v1/teams/${team}/messages`, { ...place, text: body, mentions });
      text.value = '';
      count();
      onSent(message);
    });
  });
  return form;
}
