// Hands bytes the node sent to the browser's downloads, under a name: an object URL clicked
// as a link with `download` (the page's CSP allows blob: URLs, and nothing leaves the origin).

import { h } from './dom.js';

/** The file name a `Content-Disposition: attachment; filename="x"` header gives, else `fallback`. */
export function dispositionName(header, fallback) {
  const m = /filename="([^"]+)"/i.exec(header || '') || /filename=([^;]+)/i.exec(header || '');
  const name = m ? m[1].trim() : '';
  // Only a plain file name: never a path.
  return name && !/[\\/]/.test(name) ? name : fallback;
}

/** Saves `bytes` (ArrayBuffer or Blob) as `name` through the browser's downloads. */
export function saveBytes(bytes, name, type = 'application/octet-stream') {
  const blob = bytes instanceof Blob ? bytes : new Blob([bytes], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started by then; the URL is freed a minute later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
