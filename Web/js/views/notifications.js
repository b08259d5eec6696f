// Notifications: what the node says this person should look at, newest first, over every team
// they see: messages that mention them (who wrote what, and a link to the channel or the item's
// thread) and work items of theirs, or that they may claim, at 80% of their stage's time or past
// it (the title, stage and state, and a link to the item). Opening the screen marks them all as
// seen (notifications.js keeps that in this browser); the ones that were new this visit say so.
// While it is shown, the bell's refreshes (a message arriving, each minute) fetch the list again.
//
// Message text is the team's, from any device: it is only ever set as text, never as markup.
import { h, replace } from '../dom.js';
import * as api from '../api.js';
import * as notifications from '../notifications.js';
import { shortId, slaWords } from '../format.js';
import { stamp, screenHold } from './conversation.js';
import { slaBadge, isMine } from './queue.js';

const LIMIT = 100;

export default async function notificationsScreen(ctx) {
  ctx.title('Notifications');
  const hold = screenHold(ctx);
  // Newer than this was not seen before this visit.
  const before = notifications.since();
  const info = await api.nodeInfo();
  const list = h('div', { id: 'notifications' });
  let drawn = null;

  async function load() {
    const answer = await notifications.fetchList(LIMIT);
    if (hold.left()) return;
    // Drawn again only when something changed, so a link someone is on keeps its focus.
    const shape = answer.notifications.map((n) => [n.kind, n.team, n.atMs, n.message?.id || n.item?.id, n.item?.sla, n.item?.assignee].join(':')).join('|');
    if (shape !== drawn) {
      drawn = shape;
      replace(list, draw(answer.notifications, before, info));
    }
    notifications.seenAll(answer);
  }

  await load();
  if (hold.left()) return;
  replace(ctx.main,
    h('h1', {}, 'Notifications'),
    h('p', { class: 'muted' }, 'Messages that mention you, and work items of yours or that you may claim when they have used 80% of their stage’s time or all of it, in every team you see. Newest first.'),
    list);
  hold.cleanup(notifications.showing(load));
}

function draw(all, before, info) {
  if (!all.length) {
    return h('p', { class: 'card empty-notes' }, 'Nothing to look at: no message mentions you, and no work item of yours is near or past its time.');
  }
  // A thread's mention names its item by the title another notification gives, when one does.
  const titles = new Map(all.filter((n) => n.item).map((n) => [`${n.team}:${n.item.id}`, n.item.title]));
  const fresh = all.filter((n) => n.atMs > before).length;
  return [
    h('p', { class: 'small muted', id: 'notifications-summary' }, `${all.length}${all.length === LIMIT ? ' newest' : ''} notification${all.length === 1 ? '' : 's'}`,
      fresh ? `, ${fresh} new since you last looked.` : '.'),
    h('ol', { class: 'note-list' }, all.map((n) => entry(n, n.atMs > before, titles, info))),
  ];
}

function entry(n, isNew, titles, info) {
  const team = h('a', { href: `#/teams/${n.team}`, class: 'note-team' }, n.teamName || shortId(n.team));
  const head = (...what) => h('div', { class: 'note-head' }, ...what, team, stamp(n.atMs),
    isNew ? h('span', { class: 'badge note-new' }, 'New') : null);
  const li = (...children) => h('li', { class: ['note', `note-${n.kind}`, isNew && 'unread'], dataset: { kind: n.kind, team: n.team, at: String(n.atMs) } }, ...children);

  if (n.kind === 'mention' && n.message) {
    const m = n.message;
    const where = m.item
      ? h('a', { href: `#/teams/${n.team}/items/${m.item}`, class: 'note-link' }, titles.has(`${n.team}:${m.item}`) ? `the thread of “${titles.get(`${n.team}:${m.item}`)}”` : 'an item’s thread')
      : h('a', { href: `#/teams/${n.team}/messages?channel=${encodeURIComponent(m.channel || 'general')}`, class: 'note-link' }, `#${m.channel || 'general'}`);
    return li(
      head(h('span', { class: 'badge mention-badge' }, 'Mention')),
      h('p', { class: 'note-what' }, h('strong', { class: ['note-author', m.authorName ? null : 'mono'], title: m.author }, m.authorName || shortId(m.author)),
        ' mentioned you in ', where),
      h('blockquote', { class: 'note-text msg-text' }, m.text));
  }
  if (n.item) {
    const i = n.item;
    const who = i.assignee ? (isMine(i.assignee, info) ? 'Yours' : `Held by ${i.assigneeName || shortId(i.assignee)}`) : 'Nobody holds it: you may claim it';
    return li(
      head(slaBadge(n.kind === 'overdue' ? 'overdue' : 'warning')),
      h('p', { class: 'note-what' }, h('a', { href: `#/teams/${n.team}/items/${i.id}`, class: 'note-link note-item' }, i.title)),
      h('p', { class: 'small note-detail' }, `Stage: ${i.stageName || '?'} · `,
        n.kind === 'overdue' ? 'past its stage’s time' : 'has used 80% of its stage’s time',
        i.sla !== (n.kind === 'overdue' ? 'overdue' : 'warning') ? ` (now: ${slaWords[i.sla]?.label || i.sla})` : '',
        ` · ${who}`));
  }
  // A kind this page does not know yet: said plainly, not dropped.
  return li(head(h('span', { class: 'badge' }, n.kind)));
}
