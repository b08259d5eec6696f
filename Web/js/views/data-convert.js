// JSON → Excel on the data screen: nested JSON (a file, or text pasted) flattened by the node
// into a workbook (dotted columns, arrays of objects as rows, one sheet per top-level array).
// The node counts the rows first and refuses past the limit with the count: the page shows its
// words, and says which of its own fields change the outcome.
import { h, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import { size } from '../format.js';
import { dispositionName, saveBytes } from '../save.js';

/** DataRoutes: a JSON body of at most 64 MiB; rows 1 to 1,048,576 (Excel's limit), 100,000 by default. */
const MAX_JSON = 64 * 1024 * 1024;
const EXCEL_ROWS = 1_048_576;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function convertCard() {
  const file = h('input', { type: 'file', name: 'json-file', accept: '.json,.jsonl,.ndjson,application/json' });
  const text = h('textarea', { name: 'json-text', rows: 4, spellcheck: 'false', class: 'mono', placeholder: '[{"site": "North gate", "readings": [{"ph": 7.1}, {"ph": 6.8}]}]' });
  const join = h('input', { type: 'radio', name: 'arrays', value: 'join', checked: true });
  const expand = h('input', { type: 'radio', name: 'arrays', value: 'expand' });
  const lines = h('input', { type: 'checkbox', name: 'lines' });
  const maxRows = h('input', { type: 'number', name: 'max-rows', min: 1, max: EXCEL_ROWS, value: 100000, inputmode: 'numeric', required: true });
  file.addEventListener('change', () => { if (file.files[0]) lines.checked = /\.(jsonl|ndjson)$/i.test(file.files[0].name); });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Convert to Excel');
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Conversion progress' });
  const out = status();
  out.id = 'convert-status';
  const form = h('form', { class: 'card', 'aria-labelledby': 'convert-h', id: 'convert' }, h('h2', { id: 'convert-h' }, 'JSON to Excel'),
    h('p', { class: 'muted small' }, 'Nested objects become dotted columns (site.name), arrays of objects become rows, and a top-level object of arrays becomes one sheet per array.'),
    field('JSON file', file, 'At most 64 MiB.'),
    field('Or paste JSON', text, 'Used when no file is chosen.'),
    h('fieldset', {}, h('legend', {}, 'Arrays of plain values'), h('div', { class: 'checks' },
      h('label', {}, join, 'Joined in one cell'), h('label', {}, expand, 'Expanded: a row each'))),
    h('div', { class: 'checks' }, h('label', {}, lines, 'One record a line (JSON Lines)')),
    field('Most rows', maxRows, 'The node counts the rows before it builds anything and refuses past this (Excel holds at most 1,048,576).'),
    submit, progress, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const chosen = file.files[0];
      const body = chosen || new Blob([text.value], { type: 'application/json' });
      if (!chosen && !text.value.trim()) throw new Error('Choose a JSON file or paste JSON first.');
      if (body.size > MAX_JSON) throw new Error(`${chosen ? chosen.name : 'The pasted JSON'} is ${size(body.size)}: the node converts at most 64 MiB.`);
      const rows = Number(maxRows.value);
      if (!Number.isInteger(rows) || rows < 1 || rows > EXCEL_ROWS) throw new Error(`Most rows must be a whole number from 1 to ${EXCEL_ROWS.toLocaleString('en')}.`);
      const q = new URLSearchParams({ maxRows: String(rows), arrays: expand.checked ? 'expand' : 'join', lines: String(lines.checked) });
      progress.hidden = false;
      let answer;
      try {
        answer = await api.upload(`/api/v1/data/json2xlsx?${q}`, body, {
          contentType: 'application/json', full: true,
          onProgress: (done, total) => { progress.max = Math.max(total, 1); progress.value = done; },
        });
      } catch (err) {
        if (err.code === 'expansion_too_large') {
          err.message = `${err.message.replace(/\.?$/, '.')} On this page: raise “Most rows”, or choose “Joined in one cell”.`;
        }
        throw err;
      } finally {
        progress.hidden = true;
      }
      const base = chosen ? chosen.name.replace(/\.(json|jsonl|ndjson)$/i, '') : '';
      const name = base ? `${base}.xlsx` : dispositionName(answer.headers.get('Content-Disposition'), 'converted.xlsx');
      saveBytes(answer.body, name, XLSX);
      const count = Number(answer.headers.get('X-Rows'));
      showOk(out, `Converted: ${name}, ${Number.isFinite(count) ? count.toLocaleString('en') : 'its'} rows (${size(answer.body.byteLength)}), saved to your downloads.`);
    });
  });
  return form;
}
