// The assistant (issue 20): your own documents, searched on this node, and chats with a model on
// the node's Ollama server that answer from them and cite them. Documents and search work
// without a model server; the model picker says when none answers and how to start one.
import { h, replace, field } from '../dom.js';
import * as api from '../api.js';
import { size } from '../format.js';
import { documentsPanel } from './assistant-documents.js';
import { searchPanel } from './assistant-search.js';
import { chatPanel } from './assistant-chat.js';

const MODEL_KEY = 'elohim.assistant.model';

/** The model picker, filled from GET /api/v1/assistant/models; a 503 leaves it empty with the node's message. */
async function modelPicker() {
  const select = h('select', { name: 'model' });
  const note = h('p', { class: 'status', id: 'model-status', role: 'status', 'aria-live': 'polite' });
  try {
    const { server, models } = await api.get('/api/v1/assistant/models');
    const saved = localStorage.getItem(MODEL_KEY);
    const chosen = models.some((m) => m.name === saved) ? saved : '';
    replace(select, h('option', { value: '', selected: !chosen }, 'The node’s default'),
      models.map((m) => h('option', { value: m.name, selected: m.name === chosen },
        `${m.name} (${[m.parameterSize, size(m.size)].filter(Boolean).join(', ')})`)));
    note.textContent = models.length ? `Models from ${server}.` : `The model server at ${server} has no model yet: pull one (elohim assistant pull NAME).`;
  } catch (e) {
    replace(select, h('option', { value: '' }, 'No model server'));
    select.disabled = true;
    note.className = 'status error';
    note.textContent = `${e.message} Documents and search still work.`;
  }
  select.addEventListener('change', () => localStorage.setItem(MODEL_KEY, select.value));
  return { element: h('div', { class: 'model-picker' }, field('Model', select), note), value: () => (select.disabled ? '' : select.value) };
}

export default async function assistant(ctx) {
  ctx.title('Assistant');
  const [picker, documents, chats] = await Promise.all([
    modelPicker(),
    documentsPanel(),
    chatPanel({ model: () => picker.value(), cleanup: (fn) => ctx.cleanup.push(fn) }),
  ]);
  // The picker heads the chats card: it is what chats and questions are asked of.
  chats.element[0].insertBefore(picker.element, chats.element[0].children[1]);
  replace(ctx.main, h('h1', {}, 'Assistant'),
    h('p', { class: 'muted' }, 'Ask questions about your own documents. They are read, searched and kept on this node; answers come from the node’s model server and cite the passages they were given.'),
    h('div', { class: 'grid two' }, documents.element, searchPanel()),
    h('div', { class: 'assistant-chat' }, chats.element[0], chats.element[1]));
}
