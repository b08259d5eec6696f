// The assistant screen's search: the passages of the caller's documents that best answer a
// question, each with its document and place. Passages are shown as text, never as markup.
import { h, replace, field, status, busy } from '../dom.js';
import * as api from '../api.js';

export function searchPanel() {
  const query = h('input', { type: 'search', name: 'assistant-query', autocomplete: 'off', maxlength: 4096, required: true });
  const go = h('button', { type: 'submit', class: 'primary' }, 'Search');
  const out = status();
  out.id = 'search-status';
  const results = h('div', { id: 'search-results-box' });
  const form = h('form', { id: 'assistant-search', role: 'search', 'aria-labelledby': 'search-h' },
    field('Search your documents', query, 'Words or a question; the best passages come first.'), h('div', { class: 'row' }, go), out);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(go, out, async () => {
      const text = query.value.trim();
      if (!text) throw new Error('Write what to look for first.');
      out.textContent = 'Searching…';
      const answer = await api.post('/api/v1/assistant/search', { query: text, top: 5 });
      out.textContent = answer.results.length ? `${answer.results.length} passage${answer.results.length === 1 ? '' : 's'} found.` : 'Nothing found.';
      replace(results, answer.results.length ? h('ol', { class: 'passages', id: 'search-results' }, answer.results.map((r) =>
        h('li', { dataset: { document: r.document, chunk: r.chunk } },
          h('div', { class: 'passage-head' }, h('strong', { class: 'doc-name' }, r.documentName), ' · ', h('span', { class: 'place' }, r.place)),
          h('p', { class: 'passage' }, r.text.replace(/\f/g, '\n'))))) : null);
    });
  });

  return h('section', { class: 'card', 'aria-labelledby': 'search-h', id: 'assistant-search-card' }, h('h2', { id: 'search-h' }, 'Search'), form, results);
}
