// A result grid for the data engine: a header of columns (name and type) and a window of rows.
// Only the rows in view are in the document (as the queue does), so a page of 100,000 rows
// scrolls as quickly as ten. It is an ARIA grid: Tab reaches it, the arrow keys, Page Up/Down
// and Home/End (with Ctrl: the first and last row) move the active cell, which screen readers
// follow through aria-activedescendant.
import { h } from './dom.js';

const ROW = 34;          // px, one row (the stylesheet's .dgrid-row)
const OVERSCAN = 8;      // rows drawn above and below the visible ones
const SAMPLE = 200;      // rows read to size the columns
const MAX_TEXT = 1000;   // characters of a value shown in a cell (the whole value is in its title up to 4,000)
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL|NUMERIC|INT\d*)/i;

/** A value as the grid writes it: null → '', lists and structs as JSON, the rest as text. */
export function cellText(value) {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function columnWidths(columns, rows) {
  return columns.map((c, j) => {
    let chars = Math.max(c.name.length, c.type.length + 1);
    for (let i = 0; i < Math.min(rows.length, SAMPLE); i++) chars = Math.max(chars, Math.min(40, cellText(rows[i][j]).length));
    return Math.round(Math.min(340, Math.max(72, chars * 8.2 + 22)));
  });
}

let grids = 0;

/**
 * The grid of one page of a result: `columns` [{name, type}], `rows` [[value…]], `first` the
 * result's row number of rows[0] (0 for the first page), `label` its accessible name.
 */
export function resultGrid({ columns, rows, first = 0, label }) {
  const id = `grid${++grids}`;
  const numeric = columns.map((c) => NUMERIC.test(c.type));
  const widths = columnWidths(columns, rows);
  const numberWidth = Math.max(56, String(first + rows.length).length * 9 + 24);
  const total = numberWidth + widths.reduce((a, b) => a + b, 0);

  const head = h('div', { class: 'dgrid-row dgrid-head', role: 'row', 'aria-rowindex': '1' },
    h('div', { class: 'dgrid-cell num', role: 'columnheader', 'aria-colindex': '1' }, h('span', { class: 'visually-hidden' }, 'Row'), '#'),
    columns.map((c, j) => h('div', { class: ['dgrid-cell', numeric[j] && 'right'], role: 'columnheader', 'aria-colindex': String(j + 2), title: `${c.name} (${c.type})` },
      h('span', { class: 'cname' }, c.name), h('span', { class: 'ctype' }, c.type))));
  const body = h('div', { class: 'dgrid-body', role: 'rowgroup' });
  const grid = h('div', {
    class: 'dgrid', id, role: 'grid', tabindex: '0', 'aria-label': label, 'aria-readonly': 'true',
    'aria-rowcount': String(rows.length + 1), 'aria-colcount': String(columns.length + 1),
  }, h('div', { role: 'rowgroup', class: 'dgrid-headgroup' }, head), body);
  // Sizes go through the CSSOM: the page's CSP allows no style attributes.
  grid.style.setProperty('--cols', [numberWidth, ...widths].map((w) => `${w}px`).join(' '));
  grid.style.setProperty('--width', `${total}px`);
  body.style.height = `${rows.length * ROW}px`;

  const active = { r: 0, c: 0 };
  let from = -1, to = -1;
  const cellId = (r, c) => `${id}-r${r}-c${c}`;

  const rowFor = (i) => {
    const values = rows[i];
    const row = h('div', { class: 'dgrid-row', role: 'row', 'aria-rowindex': String(i + 2), dataset: { r: String(i) } },
      h('div', { class: 'dgrid-cell num', role: 'rowheader', 'aria-colindex': '1' }, String(first + i + 1)),
      columns.map((_, j) => {
        const v = values[j];
        const text = cellText(v);
        const isNull = v === null || v === undefined;
        return h('div', {
          class: ['dgrid-cell', numeric[j] && 'right', isNull && 'null', i === active.r && j === active.c && 'active'],
          role: 'gridcell', id: cellId(i, j), 'aria-colindex': String(j + 2), dataset: { c: String(j) },
          title: text.length > 12 ? text.slice(0, 4000) : null,
        }, isNull ? 'NULL' : text.slice(0, MAX_TEXT));
      }));
    row.style.top = `${i * ROW}px`;
    return row;
  };

  const draw = (force = false) => {
    // The body starts under the header, which stays on top: body pixels in view start at scrollTop.
    const top = grid.scrollTop, height = grid.clientHeight || 600;
    const f = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const t = Math.min(rows.length, Math.ceil((top + height) / ROW) + OVERSCAN);
    if (!force && f === from && t === to) return;
    from = f; to = t;
    const drawn = [];
    for (let i = f; i < t; i++) drawn.push(rowFor(i));
    body.replaceChildren(...drawn);
    if (rows.length && columns.length && active.r >= f && active.r < t) grid.setAttribute('aria-activedescendant', cellId(active.r, active.c));
    else grid.removeAttribute('aria-activedescendant');
  };

  /** Moves the active cell and scrolls it into view (under the sticky header and row numbers). */
  const activate = (r, c) => {
    if (!rows.length || !columns.length) return;
    active.r = Math.max(0, Math.min(rows.length - 1, r));
    active.c = Math.max(0, Math.min(columns.length - 1, c));
    const headHeight = head.offsetHeight || ROW;
    const rowTop = headHeight + active.r * ROW, view = grid.clientHeight - headHeight;
    if (rowTop - headHeight < grid.scrollTop) grid.scrollTop = rowTop - headHeight;
    else if (rowTop + ROW > grid.scrollTop + headHeight + view) grid.scrollTop = rowTop + ROW - headHeight - view;
    let left = numberWidth;
    for (let j = 0; j < active.c; j++) left += widths[j];
    if (left - numberWidth < grid.scrollLeft) grid.scrollLeft = left - numberWidth;
    else if (left + widths[active.c] > grid.scrollLeft + grid.clientWidth) grid.scrollLeft = left + widths[active.c] - grid.clientWidth;
    draw(true);
  };

  grid.addEventListener('keydown', (e) => {
    const page = Math.max(1, Math.floor((grid.clientHeight - (head.offsetHeight || ROW)) / ROW) - 1);
    const moves = {
      ArrowDown: [active.r + 1, active.c], ArrowUp: [active.r - 1, active.c],
      ArrowRight: [active.r, active.c + 1], ArrowLeft: [active.r, active.c - 1],
      PageDown: [active.r + page, active.c], PageUp: [active.r - page, active.c],
      Home: e.ctrlKey ? [0, 0] : [active.r, 0], End: e.ctrlKey ? [rows.length - 1, columns.length - 1] : [active.r, columns.length - 1],
    };
    const to = moves[e.key];
    if (!to) return;
    e.preventDefault();
    activate(...to);
  });
  grid.addEventListener('click', (e) => {
    const cell = e.target.closest('[role=gridcell]');
    if (!cell) return;
    activate(Number(cell.parentElement.dataset.r), Number(cell.dataset.c));
  });
  grid.addEventListener('scroll', () => requestAnimationFrame(() => draw()), { passive: true });
  // Drawn once the grid is in the document and has a size.
  requestAnimationFrame(() => draw());
  draw();
  grid.activate = activate;
  return grid;
}
