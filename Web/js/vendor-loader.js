// Loads the vendored libraries a screen needs only when it is first shown (Web/vendor, copied
// from Debian's packages by `make web-libs`): stylesheets as <link>, classic scripts as
// <script src> (CodeMirror 5 defines a global), each once. Both come from the node's own origin,
// which is all the page's Content-Security-Policy allows.

const loaded = new Map();

function once(key, make) {
  if (!loaded.has(key)) {
    const p = make();
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));   // a failed load may be tried again
  }
  return loaded.get(key);
}

/** Adds the stylesheet at `href` to the document, once. */
export function loadStyle(href) {
  return once(`css:${href}`, () => new Promise((resolve, reject) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    link.onload = () => resolve();
    link.onerror = () => reject(new Error(`${href} did not load: run \`make web-libs\` on the node (it copies Debian's libjs-* files into Web/vendor)`));
    document.head.append(link);
  }));
}

/** Runs the classic script at `src`, once; resolves when it has run. */
export function loadScript(src) {
  return once(`js:${src}`, () => new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.async = false;   // scripts asked for in order run in order (a mode after its editor)
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`${src} did not load: run \`make web-libs\` on the node (it copies Debian's libjs-* files into Web/vendor)`));
    document.head.append(script);
  }));
}
