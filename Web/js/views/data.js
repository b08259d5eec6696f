// The data engine (issue 19): SQL over your own uploaded files. Upload a dataset, see its schema,
// write a query, read its rows in a grid (a page at a time, windowed, so 100,000 rows stay
// quick), export them as CSV, JSON or Excel, find past queries in the history, and turn nested
// JSON into a workbook. Datasets and history belong to the signed-in account.
import { h, replace, field, status, busy, showOk, showError } from '../dom.js';
import * as api from '../api.js';
import * as session from '../session.js';
import { fromNow } from '../format.js';
import { resultGrid } from '../datagrid.js';
import { dispositionName, saveBytes } from '../save.js';
import { datasetsPanel } from './data-datasets.js';
import { convertCard } from './data-convert.js';

const SQL_KEY = 'elohim.data.sql';
const PAGE_SIZES = [100, 1000, 10000, 100000];
/** The node's cap on rows a page, and so on rows an export holds (DataRoutes). */
const MAX_ROWS = 100000;
const EXPORTS = [['csv', 'CSV', 'text/csv'], ['json', 'JSON', 'application/json'],
  ['xlsx', 'Excel', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']];

// The editor's text is kept for this tab while signed in; signing out forgets it.
session.onChange((s) => { if (!s) sessionStorage.removeItem(SQL_KEY); });

export default async function data(ctx) {
  ctx.title('Data');
  const editor = h('textarea', { name: 'sql', id: 'sql', rows: 6, spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', class: 'mono sql' });
  editor.value = sessionStorage.getItem(SQL_KEY) || '';
  editor.addEventListener('input', () => sessionStorage.setItem(SQL_KEY, editor.value));
  const useSql = (sql, focus = true) => {
    editor.value = sql;
    sessionStorage.setItem(SQL_KEY, sql);
    if (focus) editor.focus();
  };

  const tablesHint = h('span');
  const [panel, history] = await Promise.all([
    datasetsPanel({ useTable: useSql, onChange: () => drawTables() }),
    api.get('/api/v1/data/history'),
  ]);
  const drawTables = () => {
    const tables = panel.tables();
    tablesHint.textContent = tables.length ? ` Your tables: ${tables.join(', ')}.` : ' Upload a file to have a table.';
  };
  drawTables();

  // The query form.
  const pageSize = h('select', { name: 'page-size' }, PAGE_SIZES.map((n) => h('option', { value: n, selected: n === 1000 }, n.toLocaleString('en'))));
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const stop = h('button', { type: 'button', hidden: true }, 'Stop waiting');
  const out = status();
  out.id = 'query-status';
  const sqlField = field('SQL', editor);
  const hint = h('small', { class: 'hint', id: 'sql-hint' }, 'One statement: SELECT, WITH, FROM, VALUES, DESCRIBE or SUMMARIZE. Ctrl+Enter runs it.', tablesHint);
  editor.setAttribute('aria-describedby', hint.id);
  sqlField.append(hint);
  const form = h('form', { class: 'card', 'aria-labelledby': 'query-h', id: 'query' }, h('h2', { id: 'query-h' }, 'Query'), sqlField,
    h('div', { class: 'row query-actions' }, run, stop, h('div', { class: 'field inline' }, h('label', { for: 'page-size' }, 'Rows a page'), pageSize)), out);
  pageSize.id = 'page-size';
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });

  // The result: a summary, the grid, paging and export.
  const result = h('section', { class: 'card', 'aria-labelledby': 'result-h', id: 'result' }, h('h2', { id: 'result-h' }, 'Result'),
    h('p', { class: 'muted' }, 'Run a query to see its rows here.'));
  const historyBox = h('section', { class: 'card', 'aria-labelledby': 'history-h', id: 'history' });

  let shown = null;        // {sql, limit, offset}: the page in the grid
  let controller = null;   // the query being waited for

  const fetchPage = async (sql, limit, offset, button) => busy(button, out, async () => {
    if (!sql) throw new Error('Write a query first.');
    controller = new AbortController();
    stop.hidden = false;
    out.textContent = 'Running…';
    const started = performance.now();
    let answer;
    try {
      answer = await api.post('/api/v1/data/query', { sql, limit, offset }, { signal: controller.signal });
    } catch (e) {
      if (e.name === 'AbortError') {
        throw new Error('Stopped waiting. The node still finishes the query on its own (it ends any query after 300 s); it counts toward the two it runs at once until then.');
      }
      throw e;
    } finally {
      stop.hidden = true;
      controller = null;
      refreshHistory();
    }
    const fetched = performance.now();
    shown = { sql, limit, offset };
    drawResult(answer, fetched - started);
    out.className = 'status';
    out.textContent = '';
    // The figure script reads how long fetching and drawing took.
    performance.measure('data-query-fetch', { start: started, end: fetched, detail: { rows: answer.rows.length } });
    requestAnimationFrame(() => performance.measure('data-grid-draw', { start: fetched, end: performance.now(), detail: { rows: answer.rows.length } }));
  });

  stop.addEventListener('click', () => controller?.abort());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fetchPage(editor.value.trim(), Number(pageSize.value), 0, run);
  });

  function drawResult(answer, ms) {
    const { columns, rows, truncated } = answer;
    const { offset, limit } = shown;
    const range = rows.length ? `Rows ${(offset + 1).toLocaleString('en')} to ${(offset + rows.length).toLocaleString('en')}` : (offset ? 'No more rows' : 'No rows');
    const summary = h('p', { id: 'result-summary', 'aria-live': 'polite' },
      `${range}${truncated ? ', more follow' : ''} · ${columns.length} column${columns.length === 1 ? '' : 's'} · ${Math.round(ms)} ms`);
    const previous = h('button', { type: 'button', disabled: offset === 0 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: !truncated }, 'Next page');
    previous.addEventListener('click', () => fetchPage(shown.sql, limit, Math.max(0, offset - limit), previous));
    next.addEventListener('click', () => fetchPage(shown.sql, limit, offset + limit, next));
    const exportOut = status();
    exportOut.id = 'export-status';
    const exports = EXPORTS.map(([format, label, type]) => {
      const b = h('button', { type: 'button', dataset: { format } }, label);
      b.addEventListener('click', () => busy(b, exportOut, async () => {
        const answer = await api.api('POST', '/api/v1/data/export', { body: { sql: shown.sql, format, limit: MAX_ROWS }, full: true });
        const name = dispositionName(answer.headers.get('Content-Disposition'), `result.${format}`);
        saveBytes(answer.body, name, type);
        refreshHistory();
        showOk(exportOut, `Saved ${name} to your downloads.`);
      }));
      return b;
    });
    const grid = columns.length ? resultGrid({ columns, rows, first: offset, label: `Result, ${range.toLowerCase()}` }) : null;
    replace(result, h('h2', { id: 'result-h' }, 'Result'), summary,
      grid || h('p', { class: 'muted' }, 'The statement returned no columns.'),
      h('div', { class: 'row spread pager' }, h('div', { class: 'row' }, previous, next),
        h('div', { class: 'row', role: 'group', 'aria-labelledby': 'export-h' }, h('span', { id: 'export-h', class: 'small muted' }, `Export (first ${MAX_ROWS.toLocaleString('en')} rows):`), exports)),
      exportOut);
  }

  function drawHistory(queries) {
    replace(historyBox, h('h2', { id: 'history-h' }, 'History'),
      queries.length ? h('ol', { class: 'history' }, queries.map((q) => {
        const use = h('button', { type: 'button', 'aria-label': `Use the query ${q.sql.slice(0, 80)}` }, 'Use');
        use.addEventListener('click', () => useSql(q.sql));
        const at = new Date(q.at).toISOString();
        return h('li', {}, h('code', { class: 'sql-line', title: q.sql.slice(0, 4000) }, q.sql.length > 300 ? `${q.sql.slice(0, 300)}…` : q.sql),
          h('div', { class: 'row spread' }, h('span', { class: ['small', q.error ? 'status error' : 'muted'] },
            h('time', { datetime: at, title: at }, fromNow(at)), ' · ',
            q.error ? `failed (${q.error})` : `${(q.rows ?? 0).toLocaleString('en')} row${q.rows === 1 ? '' : 's'}`, ` · ${q.ms} ms`), use));
      })) : h('p', { class: 'muted' }, 'Your queries appear here, newest first (the last 100).'));
  }

  async function refreshHistory() {
    try { drawHistory((await api.get('/api/v1/data/history')).queries); } catch (e) { showError(out, e); }
  }

  drawHistory(history.queries);
  replace(ctx.main, h('h1', {}, 'Data'),
    h('p', { class: 'muted' }, 'SQL over your own files, on this node. Each dataset is a table; queries read only your datasets and change nothing.'),
    panel.element, form, result, h('div', { class: 'grid two' }, historyBox, convertCard()));
}
