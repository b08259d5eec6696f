// The assistant screen's documents: the caller's library (name, kind, chunks, size, added),
// files added through a file input (several at once, each sent as the request body with its
// own progress line and, when the node refuses it, the node's message), and removal.
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import { size, when } from '../format.js';

/** What the node reads (AssistantRoutes: 20 MiB a file; the extension says the kind). */
const MAX_BYTES = 20 * 1024 * 1024;
const KINDS = { text: 'Text', markdown: 'Markdown', pdf: 'PDF', docx: 'Word (.docx)' };

/** The documents card. `onChange(documents)` is called when the list changes. */
export async function documentsPanel({ onChange } = {}) {
  let documents = [];
  const listBox = h('div', { id: 'documents-box' });
  const out = status();
  out.id = 'documents-status';

  const draw = () => {
    onChange?.(documents);
    if (!documents.length) {
      replace(listBox, h('p', { class: 'muted', id: 'documents-empty' }, 'No document yet: add text, Markdown, PDF or Word (.docx) files.'));
      return;
    }
    replace(listBox, h('table', { class: 'stack', id: 'documents' },
      h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Chunks', 'Size', 'Added', 'Actions'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, documents.map((d) => {
        const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${d.name}` }, 'Remove');
        remove.addEventListener('click', () => {
          if (!confirm(`Remove ${d.name} from your library? Search and chats no longer find it.`)) return;
          busy(remove, out, async () => {
            await api.del(`/api/v1/assistant/documents/${d.id}`);
            documents = documents.filter((x) => x.id !== d.id);
            draw();
            showOk(out, `Removed ${d.name}.`);
          });
        });
        const added = new Date(d.addedMs).toISOString();
        return h('tr', { dataset: { id: d.id, name: d.name } },
          h('td', { 'data-label': 'Name' }, d.name, d.truncated ? h('small', { class: 'hint' }, ' (only the first 8 MiB of its text is indexed)') : null),
          h('td', { 'data-label': 'Kind' }, KINDS[d.kind] || d.kind),
          h('td', { 'data-label': 'Chunks', class: 'chunks' }, String(d.chunks)),
          h('td', { 'data-label': 'Size', class: 'nowrap' }, size(d.bytes)),
          h('td', { 'data-label': 'Added' }, h('time', { datetime: added, title: added }, when(added))),
          h('td', { 'data-label': 'Actions' }, remove));
      }))));
  };

  const reload = async () => {
    documents = (await api.get('/api/v1/assistant/documents')).documents;
    draw();
  };

  // Adding: every chosen file is sent in turn, each with a line of its own.
  const input = h('input', { type: 'file', name: 'documents', multiple: true });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Add');
  const uploads = h('ul', { class: 'uploads', id: 'uploads', 'aria-live': 'polite' });
  const upOut = status();
  const form = h('form', { id: 'document-upload', 'aria-labelledby': 'add-docs-h' }, h('h3', { id: 'add-docs-h' }, 'Add documents'),
    field('Files', input, 'Text (.txt, .md, .log), PDF or Word (.docx); at most 20 MiB each. Choose several at once if you like.'),
    h('div', { class: 'row' }, send), uploads, upOut);

  const addOne = async (file) => {
    const progress = h('progress', { max: Math.max(file.size, 1), value: 0, 'aria-label': `Sending ${file.name}` });
    const line = h('span', { class: 'status' }, 'Waiting…');
    uploads.append(h('li', { dataset: { name: file.name } }, h('strong', {}, file.name), ' ', line, progress));
    const fail = (message) => { line.className = 'status error'; line.textContent = message; progress.hidden = true; };
    if (file.size > MAX_BYTES) return fail(`${size(file.size)}: the node takes documents of at most 20 MiB.`);
    try {
      const answer = await api.upload(`/api/v1/assistant/documents?name=${encodeURIComponent(file.name)}`, file, {
        onProgress: (sent, total) => {
          progress.max = Math.max(total, 1);
          progress.value = sent;
          line.textContent = sent >= total ? 'Sent; the node is reading and indexing it…' : `Sending: ${size(sent)} of ${size(total)}`;
        },
      });
      const d = answer.document;
      progress.hidden = true;
      line.className = 'status ok';
      line.textContent = answer.alreadyHeld ? `Already in your library (${d.chunks} chunks).` : `Added: ${d.chunks} chunk${d.chunks === 1 ? '' : 's'}.`;
      documents = [d, ...documents.filter((x) => x.id !== d.id)];
      draw();
    } catch (e) {
      fail(e.message || String(e));
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(send, upOut, async () => {
      const files = [...input.files];
      if (!files.length) throw new Error('Choose one or more files first.');
      replace(uploads);
      for (const file of files) await addOne(file);
      input.value = '';
    });
  });

  await reload();
  const element = h('section', { class: 'card', 'aria-labelledby': 'documents-h', id: 'assistant-documents' },
    h('h2', { id: 'documents-h' }, 'Your documents'), listBox, out, form);
  return { element, reload };
}
