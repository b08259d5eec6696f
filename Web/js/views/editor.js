// The workspace editor (needs terminal.use): the workspace's files, and one open in CodeMirror 5
// (Debian's libjs-codemirror) with the colouring its name calls for. Saving replaces the file
// on the node atomically (PUT /api/v1/workspace/files/{path}); the node refuses any path that
// leaves the workspace, links included, and files over 4 MiB. Text files only: a file that is
// not UTF-8 is not opened (saving it from a text editor would change its bytes).
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import { size, when } from '../format.js';
import { loadScript, loadStyle } from '../vendor-loader.js';
import { terminalRefusal } from './terminal-refusal.js';

const files = '/api/v1/workspace/files';
const cm = 'vendor/codemirror';
// Modes that need others loaded first (CodeMirror's own dependencies between its modes).
const modeNeeds = { htmlmixed: ['xml', 'javascript', 'css'], markdown: ['xml'], rust: ['simple'] };
// The modes scripts/web-libs.sh copied, as it lists them beside them (read once); a file whose
// mode is not there opens without colouring.
let shipped;
async function modesShipped() {
  shipped ??= fetch(`${cm}/modes.json`).then((r) => (r.ok ? r.json() : [])).catch(() => []).then((list) => new Set(list));
  return shipped;
}

export default async function editor(ctx) {
  ctx.title('Editor');
  let listing;
  try {
    listing = await api.get(files);
  } catch (e) {
    replace(ctx.main, h('h1', {}, 'Editor'), terminalRefusal(e, 'The editor'));
    return;
  }
  const path = ctx.query.get('path');
  const filter = h('input', { type: 'search', name: 'filter', placeholder: 'Filter by name', autocomplete: 'off' });
  const list = h('ul', { class: 'file-list' });
  const drawList = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = listing.files.filter((f) => !q || f.path.toLowerCase().includes(q)).slice(0, 500);
    replace(list, shown.map((f) => h('li', {}, h('a', { href: `#/editor?path=${encodeURIComponent(f.path)}`, 'aria-current': f.path === path ? 'page' : null }, f.path),
      h('span', { class: 'muted small' }, ` ${size(f.size)}, ${when(new Date(f.modifiedMs).toISOString())}`))));
    if (!shown.length) list.append(h('li', { class: 'muted' }, listing.files.length ? 'No file matches.' : 'The workspace is empty.'));
  };
  filter.addEventListener('input', drawList);
  drawList();

  const newPath = h('input', { name: 'new-path', required: true, maxlength: 1024, placeholder: 'notes/todo.md', autocomplete: 'off', spellcheck: 'false' });
  const create = h('button', { type: 'submit' }, 'New file');
  const createOut = status();
  const newForm = h('form', {}, field('New file', newPath, 'A path inside the workspace; folders are made as needed.'), create, createOut);
  newForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(create, createOut, async () => {
      const p = newPath.value.trim();
      if (listing.files.some((f) => f.path === p)) { ctx.go(`#/editor?path=${encodeURIComponent(p)}`); return; }
      await api.put(`${files}/${encodeURIComponent(p)}`, new Uint8Array(0));
      ctx.go(`#/editor?path=${encodeURIComponent(p)}`);
    });
  });

  const pane = h('section', { class: 'card editor-pane', 'aria-labelledby': 'file-h' });
  replace(ctx.main, h('h1', {}, 'Editor'),
    h('div', { class: 'editor-layout' },
      h('nav', { class: 'card', 'aria-label': 'Workspace files' }, h('h2', {}, 'Files'), field('Filter', filter), list,
        listing.truncated ? h('p', { class: 'small muted' }, 'The workspace holds more files than the list shows (2000 at most, 12 folders deep).') : null,
        newForm),
      pane),
    h('p', { class: 'small' }, h('a', { href: '#/terminal' }, 'Terminals')));
  if (!path) {
    replace(pane, h('h2', { id: 'file-h' }, 'No file open'), h('p', { class: 'muted' }, 'Choose a file, or make a new one.'));
    return;
  }
  await openFile(ctx, pane, path);
}

async function openFile(ctx, pane, path) {
  const out = status();
  let text;
  try {
    const bytes = await api.get(`${files}/${encodeURIComponent(path)}`, { binary: true });
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    const why = e instanceof TypeError ? `${path} is not a text file (not UTF-8); the editor opens text only.` : e.message;
    replace(pane, h('h2', { id: 'file-h' }, path), h('p', { class: 'status error', role: 'alert' }, why));
    return;
  }
  await Promise.all([loadStyle(`${cm}/codemirror.css`), loadScript(`${cm}/codemirror.js`)]);
  await loadScript(`${cm}/meta.js`);
  const CodeMirror = window.CodeMirror;
  const info = CodeMirror.findModeByFileName(path.split('/').pop());
  const mode = info && (await modesShipped()).has(info.mode) ? info.mode : null;
  if (mode) {
    for (const need of modeNeeds[mode] || []) await loadScript(need === 'simple' ? `${cm}/addon/simple.js` : `${cm}/mode/${need}.js`);
    await loadScript(`${cm}/mode/${mode}.js`);
  }
  const save = h('button', { type: 'button', class: 'primary' }, 'Save');
  const dirty = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const host = h('div', { class: 'editor-host' });
  replace(pane, h('div', { class: 'row spread' }, h('h2', { id: 'file-h', class: 'mono' }, path), h('div', { class: 'row' }, dirty, save)),
    host, out, h('p', { class: 'small muted' }, `Colouring: ${info?.name || 'plain text'}. Ctrl-S saves.`));
  let savedText = text;
  const doc = CodeMirror(host, {
    value: text, mode: mode ? info.mime || mode : null, lineNumbers: true, indentUnit: 2, tabSize: 4,
    screenReaderLabel: `Contents of ${path}`, extraKeys: { 'Ctrl-S': () => save.click(), 'Cmd-S': () => save.click() },
  });
  doc.getWrapperElement().setAttribute('data-path', path);
  const markDirty = () => { dirty.textContent = doc.getValue() === savedText ? '' : 'Unsaved changes'; };
  doc.on('change', markDirty);
  save.addEventListener('click', () => busy(save, out, async () => {
    const value = doc.getValue();
    const answer = await api.put(`${files}/${encodeURIComponent(path)}`, new TextEncoder().encode(value));
    savedText = value;
    markDirty();
    showOk(out, `Saved ${answer.path} (${size(answer.size)}).`);
  }));
  const warn = (e) => { if (doc.getValue() !== savedText) { e.preventDefault(); e.returnValue = ''; } };
  window.addEventListener('beforeunload', warn);
  ctx.cleanup.push(() => window.removeEventListener('beforeunload', warn));
  doc.focus();
}
