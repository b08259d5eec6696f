// The assistant screen's chats: the caller's chats, starting, opening and deleting one, and
// asking. An answer streams as server-sent events over the POST's response (sse.js): each
// `token` is appended as it arrives, in an aria-live region, then `done` brings the stored
// answer and its numbered sources. Answers are shown as plain text with their line breaks:
// a model's words are never turned into markup.
import { h, replace, field, status, busy, showError } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { when } from '../format.js';
import { readEvents } from './sse.js';

/** The numbered sources of an answer: "[1] manual.pdf, page 2". */
function sourcesList(sources) {
  if (!sources?.length) return null;
  return h('div', { class: 'sources' }, h('span', { class: 'small muted' }, 'Sources'),
    h('ol', { class: 'source-list' }, sources.map((s) => h('li', { dataset: { document: s.document } }, `[${s.number}] ${s.documentName}, ${s.place}`))));
}

function messageItem(m) {
  const at = new Date(m.createdMs).toISOString();
  return h('li', { class: ['message', m.role], dataset: { id: m.id } },
    h('div', { class: 'who small muted' }, m.role === 'user' ? 'You' : `Assistant${m.model ? ` (${m.model})` : ''}`, ' · ', h('time', { datetime: at }, when(at))),
    h('div', { class: 'content' }, m.content), m.role === 'assistant' ? sourcesList(m.sources) : null);
}

/** POST …/messages: the response, or the API's JSON error as an ApiError (before any streaming). */
async function ask(chatID, body, signal) {
  const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream, application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/api/v1/assistant/chats/${chatID}/messages`, { method: 'POST', headers, body: JSON.stringify(body), signal, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new api.ApiError(0, 'unreachable', 'The node does not answer. Is it running?');
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => '');
  let code = `http_${response.status}`, message = `The node answered ${response.status} ${response.statusText}.`;
  try {
    const e = JSON.parse(text).error;
    if (e?.code) code = e.code;
    if (e?.message) message = e.message;
  } catch { /* not the API's error format */ }
  throw new api.ApiError(response.status, code, message);
}

/**
 * The chats card. `model()` says the model picked (or '' for the node's default); `cleanup`
 * receives a function that stops an answer still streaming when the screen is left.
 */
export async function chatPanel({ model, cleanup }) {
  let chats = [];
  let open = null;          // {chat, messages}
  let controller = null;    // the answer being streamed
  cleanup(() => controller?.abort());

  const listBox = h('div', { id: 'chat-list-box' });
  const listOut = status();
  listOut.id = 'chats-status';
  const conversation = h('section', { class: 'card conversation', id: 'conversation', 'aria-labelledby': 'conversation-h' });

  const title = h('input', { type: 'text', name: 'chat-title', maxlength: 200, autocomplete: 'off', placeholder: 'New chat' });
  const start = h('button', { type: 'submit', class: 'primary' }, 'Start a chat');
  const startForm = h('form', { id: 'chat-start', class: 'row' }, field('Title of a new chat', title), start);

  const drawList = () => {
    if (!chats.length) {
      replace(listBox, h('p', { class: 'muted', id: 'chats-empty' }, 'No chat yet.'));
      return;
    }
    replace(listBox, h('ul', { class: 'chat-list', id: 'chat-list' }, chats.map((c) => {
      const openButton = h('button', { type: 'button', class: 'link', 'aria-label': `Open the chat ${c.title}`, 'aria-current': open?.chat.id === c.id ? 'true' : null }, 'Open');
      openButton.addEventListener('click', () => busy(openButton, listOut, () => show(c.id)));
      const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete the chat ${c.title}` }, 'Delete');
      remove.addEventListener('click', () => {
        if (!confirm(`Delete the chat “${c.title}” and its messages?`)) return;
        busy(remove, listOut, async () => {
          await api.del(`/api/v1/assistant/chats/${c.id}`);
          chats = chats.filter((x) => x.id !== c.id);
          if (open?.chat.id === c.id) { controller?.abort(); open = null; drawConversation(); }
          drawList();
        });
      });
      const at = new Date(c.createdMs).toISOString();
      return h('li', { dataset: { id: c.id } }, h('span', { class: 'chat-title' }, c.title), ' ',
        h('time', { class: 'small muted', datetime: at }, when(at)), h('span', { class: 'row' }, openButton, remove));
    })));
  };

  startForm.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(start, listOut, async () => {
      const body = {};
      if (title.value.trim()) body.title = title.value.trim();
      if (model()) body.model = model();
      const chat = await api.post('/api/v1/assistant/chats', body);
      chats = [chat, ...chats.filter((c) => c.id !== chat.id)];
      title.value = '';
      open = { chat, messages: [] };
      drawList();
      drawConversation();
      conversation.querySelector('textarea')?.focus();
    });
  });

  async function show(id) {
    controller?.abort();
    open = await api.get(`/api/v1/assistant/chats/${id}`);
    drawList();
    drawConversation();
    conversation.scrollIntoView({ block: 'nearest' });
  }

  function drawConversation() {
    if (!open) {
      replace(conversation, h('h2', { id: 'conversation-h' }, 'Conversation'),
        h('p', { class: 'muted' }, 'Start a chat or open one to ask questions about your documents.'));
      return;
    }
    const messages = h('ol', { class: 'messages', id: 'messages' }, open.messages.map(messageItem));
    const question = h('textarea', { name: 'question', rows: 3, maxlength: 8192, required: true });
    const send = h('button', { type: 'submit', class: 'primary' }, 'Ask');
    const stop = h('button', { type: 'button', hidden: true }, 'Stop');
    const out = status();
    out.id = 'ask-status';
    const questionField = field('Your question', question, 'Enter sends; Shift+Enter starts a new line. Answers come from your documents and cite them.');
    const form = h('form', { id: 'ask' }, questionField, h('div', { class: 'row' }, send, stop), out);
    question.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
    stop.addEventListener('click', () => controller?.abort());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (send.disabled) return;
      busy(send, out, async () => {
        const content = question.value.trim();
        if (!content) throw new Error('Write a question first.');
        const chat = open.chat;
        controller = new AbortController();
        const body = { content };
        if (model()) body.model = model();
        out.textContent = 'Asking…';
        const response = await ask(chat.id, body, controller.signal);
        question.value = '';
        stop.hidden = false;
        out.textContent = 'The assistant is answering…';
        // The answer as it grows: an aria-live region, busy until the stored answer arrives.
        const text = h('div', { class: 'content', id: 'streaming-answer', 'aria-live': 'polite', 'aria-busy': 'true' });
        const answer = h('li', { class: 'message assistant', dataset: { streaming: 'true' } },
          h('div', { class: 'who small muted' }, 'Assistant'), text);
        let sources = [];
        let finished = false;
        try {
          await readEvents(response, (event, data) => {
            if (event === 'question') {
              open.messages.push(data.message);
              messages.append(messageItem(data.message), answer);
              answer.querySelector('.who').textContent = `Assistant (${data.model})`;
            } else if (event === 'sources') {
              sources = data.sources.map((s, i) => ({ number: i + 1, document: s.document, documentName: s.documentName, place: s.place }));
            } else if (event === 'token') {
              if (!answer.isConnected) messages.append(answer);
              text.textContent += data.text;
            } else if (event === 'done') {
              finished = true;
              open.messages.push(data.message);
              text.textContent = data.message.content;
              answer.dataset.id = data.message.id;
              const list = sourcesList(data.message.sources?.length ? data.message.sources : sources);
              if (list) answer.append(list);
              out.className = 'status';
              out.textContent = `Answered${data.answerTokens ? ` (${data.answerTokens} tokens)` : ''}.`;
            } else if (event === 'error') {
              finished = true;
              showError(out, new Error(`${data.message} (${data.code})`));
              answer.append(h('p', { class: 'status error small' }, 'The answer was cut short.'));
            }
          });
          if (!finished) showError(out, new Error('The answer ended before the node said it was done.'));
        } catch (err) {
          if (err.name === 'AbortError') {
            if (answer.isConnected) answer.append(h('p', { class: 'small muted' }, 'Stopped waiting for the rest.'));
            out.textContent = 'Stopped.';
          } else throw err;
        } finally {
          text.setAttribute('aria-busy', 'false');
          delete answer.dataset.streaming;
          stop.hidden = true;
          controller = null;
        }
        question.focus();
      });
    });
    const at = new Date(open.chat.createdMs).toISOString();
    replace(conversation, h('h2', { id: 'conversation-h' }, open.chat.title),
      h('p', { class: 'small muted' }, 'Started ', h('time', { datetime: at }, when(at)), open.chat.model ? ` · model ${open.chat.model}` : ''),
      messages, form);
    conversation.dataset.chat = open.chat.id;
  }

  chats = (await api.get('/api/v1/assistant/chats')).chats;
  drawList();
  drawConversation();
  const element = [h('section', { class: 'card', 'aria-labelledby': 'chats-h', id: 'assistant-chats' },
    h('h2', { id: 'chats-h' }, 'Chats'), startForm, listBox, listOut), conversation];
  return { element };
}
