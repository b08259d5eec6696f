import { h, replace } from '../dom.js';

export default async function notFound(ctx) {
  ctx.title('Not found');
  replace(ctx.main, h('section', { class: 'card' }, h('h1', {}, 'No such screen'),
    h('p', {}, 'The link may be old or mistyped. '), h('a', { href: '#/' }, 'Go to the start')));
}
