// The data screen's datasets: upload a file (with progress), the list of your datasets, each
// one's schema as DuckDB inferred it, and removal. Each dataset is a table in your queries.
import { h, replace, field, status, busy, showOk } from '../dom.js';
import * as api from '../api.js';
import { size } from '../format.js';

/** What the node accepts (DataRoutes: 256 MiB a file; the extension says the format). */
export const MAX_UPLOAD = 256 * 1024 * 1024;
const FORMATS = ['csv', 'tsv', 'json', 'jsonl', 'ndjson', 'xlsx', 'parquet'];
const SQL_WORDS = new Set(['all', 'and', 'as', 'asc', 'by', 'case', 'check', 'column', 'create', 'default', 'desc', 'distinct', 'else', 'end',
  'from', 'group', 'having', 'in', 'is', 'join', 'limit', 'not', 'null', 'offset', 'on', 'or', 'order', 'select', 'table', 'then', 'to',
  'union', 'user', 'using', 'when', 'where', 'window', 'with']);

/** A table name as SQL needs it: bare when it can be, else in double quotes. */
export function quoteIdent(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !SQL_WORDS.has(name.toLowerCase()) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * A file's name as a dataset name the node accepts: 1 to 100 ASCII letters, digits, '_', '-'
 * and '.', not starting with a dot, ending in its format ("Relevé 2024.CSV" → "Releve_2024.csv").
 * Returns '' when the extension is not a format the engine reads.
 */
export function datasetName(fileName) {
  const dot = fileName.lastIndexOf('.');
  const ext = dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
  if (!FORMATS.includes(ext)) return '';
  let base = fileName.slice(0, dot).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '');
  base = base.slice(0, 99 - ext.length) || 'data';
  return `${base}.${ext}`;
}

function schemaTable(columns) {
  return h('table', { class: 'schema' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'))),
    h('tbody', {}, columns.map((c) => h('tr', {}, h('td', { class: 'mono' }, c.name), h('td', { class: 'mono small' }, c.type)))));
}

/**
 * The datasets card and the schema card. `useTable(sql, focus)` puts a query into the editor;
 * `onChange()` is called when the list changes. Returns {element (the two cards), tables()}:
 * tables() lists the datasets' table names for the editor's hint.
 */
export async function datasetsPanel({ useTable, onChange }) {
  let datasets = (await api.get('/api/v1/data/datasets')).datasets;
  const schemaBox = h('section', { class: 'card', 'aria-labelledby': 'schema-h', id: 'schema' },
    h('h2', { id: 'schema-h' }, 'Schema'), h('p', { class: 'muted' }, 'Choose a dataset’s Schema to see its columns and types.'));
  const listBox = h('div');
  const out = status();

  const showSchema = (name, table, schema) => {
    replace(schemaBox, h('h2', { id: 'schema-h' }, `Schema of ${name}`),
      h('p', { class: 'small' }, `Table `, h('code', {}, quoteIdent(table)), ` · ${schema.rows.toLocaleString('en')} row${schema.rows === 1 ? '' : 's'} · ${schema.columns.length} column${schema.columns.length === 1 ? '' : 's'}`),
      h('div', { class: 'schema-box' }, schemaTable(schema.columns)));
    schemaBox.dataset.dataset = name;
  };

  const drawList = () => {
    if (!datasets.length) {
      replace(listBox, h('p', { class: 'muted', id: 'datasets-empty' }, 'No dataset yet: upload a CSV, TSV, JSON, JSON Lines, Excel or Parquet file.'));
      return;
    }
    replace(listBox, h('table', { class: 'stack', id: 'datasets' },
      h('thead', {}, h('tr', {}, ['Name', 'Table', 'Format', 'Size', 'Actions'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, datasets.map((d) => {
        const schema = h('button', { type: 'button', 'aria-label': `Schema of ${d.name}` }, 'Schema');
        schema.addEventListener('click', () => busy(schema, out, async () => {
          showSchema(d.name, d.table, await api.get(`/api/v1/data/datasets/${encodeURIComponent(d.name)}/schema`));
          schemaBox.scrollIntoView({ block: 'nearest' });
        }));
        const query = h('button', { type: 'button', 'aria-label': `Query ${d.name}` }, 'Query');
        query.addEventListener('click', () => useTable(`SELECT * FROM ${quoteIdent(d.table)} LIMIT 100`));
        const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${d.name}` }, 'Delete');
        remove.addEventListener('click', () => {
          if (!confirm(`Delete the dataset ${d.name}? Queries naming ${d.table} stop working.`)) return;
          busy(remove, out, async () => {
            await api.del(`/api/v1/data/datasets/${encodeURIComponent(d.name)}`);
            datasets = datasets.filter((x) => x.name !== d.name);
            if (schemaBox.dataset.dataset === d.name) replace(schemaBox, h('h2', { id: 'schema-h' }, 'Schema'), h('p', { class: 'muted' }, `${d.name} was deleted.`));
            drawList();
            onChange?.();
            showOk(out, `Deleted ${d.name}.`);
          });
        });
        return h('tr', { dataset: { name: d.name } }, h('td', { 'data-label': 'Name' }, d.name), h('td', { 'data-label': 'Table', class: 'mono' }, d.table),
          h('td', { 'data-label': 'Format' }, d.format), h('td', { 'data-label': 'Size', class: 'nowrap' }, size(d.size)),
          h('td', { 'data-label': 'Actions' }, h('div', { class: 'row' }, schema, query, remove)));
      }))));
  };

  // Upload: the file goes as the request body, streamed by the browser, with progress.
  const input = h('input', { type: 'file', name: 'dataset', accept: FORMATS.map((f) => `.${f}`).join(',') });
  const name = h('input', { type: 'text', name: 'dataset-name', required: true, maxlength: 100, autocomplete: 'off', spellcheck: 'false',
    pattern: `[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,99}`, placeholder: 'sales.csv' });
  input.addEventListener('change', () => { if (input.files[0]) name.value = datasetName(input.files[0].name) || name.value; });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const stop = h('button', { type: 'button', hidden: true }, 'Stop');
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const progressText = h('p', { class: 'small', 'aria-live': 'polite' });
  const upOut = status();
  let controller = null;
  stop.addEventListener('click', () => controller?.abort());
  const form = h('form', { 'aria-labelledby': 'upload-data-h', id: 'dataset-upload' }, h('h3', { id: 'upload-data-h' }, 'Upload a file'),
    h('div', { class: 'grid two' }, field('File', input, 'CSV, TSV, JSON, JSON Lines, Excel (.xlsx) or Parquet; at most 256 MiB.'),
      field('Dataset name', name, 'Letters, digits, _ - and . ending in the format. Its table is the name without the extension.')),
    h('div', { class: 'row' }, send, stop), progress, progressText, upOut);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(send, upOut, async () => {
      const file = input.files[0];
      if (!file) throw new Error('Choose a file first.');
      if (file.size > MAX_UPLOAD) throw new Error(`${file.name} is ${size(file.size)}: the node takes files of at most 256 MiB.`);
      if (!file.size) throw new Error(`${file.name} is empty.`);
      const target = name.value.trim();
      if (!datasetName(target) || datasetName(target) !== target) {
        throw new Error(`“${target}” cannot name a dataset: use letters, digits, _ - and ., ending in .${FORMATS.join(', .')}.`);
      }
      if (datasets.some((d) => d.name === target) && !confirm(`Replace the dataset ${target} with ${file.name}?`)) return;
      controller = new AbortController();
      stop.hidden = false;
      progress.hidden = false;
      const shown = (done, total) => {
        progress.max = Math.max(total, 1);
        progress.value = done;
        progressText.textContent = done >= total ? `Sent ${size(total)}; the node is reading ${target}…`
          : `Sending ${file.name}: ${size(done)} of ${size(total)} (${Math.floor((done * 100) / Math.max(total, 1))}%)`;
      };
      shown(0, file.size);
      let answer;
      try {
        answer = await api.upload(`/api/v1/data/datasets?name=${encodeURIComponent(target)}`, file, { onProgress: shown, signal: controller.signal });
      } catch (err) {
        progressText.textContent = '';
        progress.hidden = true;
        if (err.name === 'AbortError') throw new Error(`Stopped: ${file.name} was not stored.`);
        throw err;
      } finally {
        stop.hidden = true;
        controller = null;
      }
      datasets = [...datasets.filter((d) => d.name !== answer.name), { name: answer.name, table: answer.table, format: answer.format, size: answer.size }]
        .sort((a, b) => a.name.localeCompare(b.name));
      drawList();
      showSchema(answer.name, answer.table, answer);
      onChange?.();
      input.value = '';
      progressText.textContent = `Sent ${size(answer.size)}.`;
      showOk(upOut, `Stored ${answer.name}: ${answer.rows.toLocaleString('en')} rows, ${answer.columns.length} columns. Query it as ${quoteIdent(answer.table)}.`);
      if (!document.getElementById('sql')?.value.trim()) useTable(`SELECT * FROM ${quoteIdent(answer.table)} LIMIT 100`, false);
    });
  });

  drawList();
  const element = [h('section', { class: 'card', 'aria-labelledby': 'datasets-h' }, h('h2', { id: 'datasets-h' }, 'Your datasets'), listBox, out, form),
    schemaBox];
  return { element, tables: () => datasets.map((d) => d.table) };
}
