// Help: the guide in Web/help.md, rendered with marked (Debian's libjs-marked, copied into
// Web/vendor by `make web-libs`). The guide is this repository's own text, not anything a user sent.
import { h, replace } from '../dom.js';

function loadMarked() {
  if (globalThis.marked) return Promise.resolve(globalThis.marked);
  return new Promise((resolve, reject) => {
    const s = h('script', { src: 'vendor/marked/marked.min.js' });
    s.onload = () => resolve(globalThis.marked);
    s.onerror = () => reject(new Error('marked is missing from Web/vendor: run `make web-libs`'));
    document.head.append(s);
  });
}

export default async function help(ctx) {
  ctx.title('Help');
  const text = await (await fetch('help.md', { cache: 'no-cache' })).text();
  const box = h('article', { class: 'card help' });
  try {
    const marked = await loadMarked();
    const doc = new DOMParser().parseFromString(marked.parse(text, { mangle: false, headerIds: false }), 'text/html');
    box.replaceChildren(...doc.body.childNodes);
  } catch (e) {
    box.replaceChildren(h('pre', {}, text), h('p', { class: 'status error' }, e.message));
  }
  replace(ctx.main, box);
}
