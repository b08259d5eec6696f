// Terminals (needs terminal.use): the caller's sessions, a new one, and one session attached in
// xterm.js (Debian's node-xterm, bundled by scripts/web-libs.sh). A session runs on the node and
// outlives this page: leaving the screen or reloading detaches, and attaching again replays its
// scrollback. The screen reader mode of xterm.js keeps the visible rows as text in the document,
// so what the terminal shows can also be read without the canvas.
import { h, replace, field, status, busy, showError } from '../dom.js';
import * as api from '../api.js';
import { when } from '../format.js';
import { loadStyle } from '../vendor-loader.js';
import { attach } from '../terminal-link.js';
import { terminalRefusal } from './terminal-refusal.js';

const sessions = '/api/v1/terminal/sessions';

export default async function terminal(ctx) {
  ctx.title('Terminal');
  let list;
  try {
    list = (await api.get(sessions)).sessions;
  } catch (e) {
    replace(ctx.main, h('h1', {}, 'Terminal'), terminalRefusal(e, 'Terminals'));
    return;
  }
  const id = ctx.params.id;
  if (id) {
    const s = list.find((x) => x.id === id);
    if (!s) {
      replace(ctx.main, h('h1', {}, 'Terminal'), h('section', { class: 'card' },
        h('p', { class: 'status error' }, `No session ${id} of yours: it ended, or it is another person's.`),
        h('p', {}, h('a', { href: '#/terminal' }, 'Your sessions'))));
      return;
    }
    await attached(ctx, s);
    return;
  }
  overview(ctx, list);
}


function overview(ctx, list) {
  const command = h('input', { name: 'command', maxlength: 4096, placeholder: 'your shell', autocomplete: 'off', spellcheck: 'false' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Start a terminal');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-h' }, h('h2', { id: 'new-h' }, 'New terminal'),
    field('Command', command, 'Leave empty for a shell. It runs on the node, in its workspace folder, as the user the node runs as.'), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      const body = { cols: 100, rows: 30 };
      if (command.value.trim()) body.command = command.value.trim();
      const s = await api.post(sessions, body);
      ctx.go(`#/terminal/${s.id}`);
    });
  });
  const rows = list.map((s) => {
    const end = h('button', { type: 'button', class: 'danger' }, 'End');
    const rowOut = status();
    end.addEventListener('click', () => busy(end, rowOut, async () => { await api.del(`${sessions}/${s.id}`); terminal(ctx); }));
    return h('tr', {}, h('td', { class: 'mono' }, h('a', { href: `#/terminal/${s.id}` }, s.id)),
      h('td', { class: 'mono' }, s.command.join(' ')), h('td', {}, when(new Date(s.startedMs).toISOString())),
      h('td', {}, s.exit ? ended(s.exit) : s.attached ? `running, ${s.attached} attached` : 'running'),
      h('td', {}, end, rowOut));
  });
  replace(ctx.main, h('h1', {}, 'Terminal'), form,
    h('section', { class: 'card', 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, `Your sessions (${list.length})`),
      list.length ? h('table', {}, h('thead', {}, h('tr', {}, ['Session', 'Command', 'Started', 'State', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))
        : h('p', { class: 'muted' }, 'None. A session keeps running when you leave this page; it ends when you end it, when its program exits, or after 30 minutes with nobody attached.')),
    h('p', { class: 'small' }, h('a', { href: '#/editor' }, 'Edit the workspace\'s files')));
  command.focus();
}

function ended(exit) {
  return exit.code !== undefined && exit.code !== null ? `exited with code ${exit.code}` : `killed by signal ${exit.signal}`;
}

async function attached(ctx, s) {
  const [{ Terminal, fit }] = await Promise.all([import('../../vendor/xterm/xterm.js'), loadStyle('vendor/xterm/xterm.css')]);
  const state = h('span', { role: 'status', 'aria-live': 'polite', class: 'muted' }, 'Connecting…');
  const out = status();
  const box = h('div', { class: 'terminal-box', id: 'terminal' });
  const interrupt = h('button', { type: 'button', title: 'Sends SIGINT to the program, as Ctrl-C does' }, 'Interrupt');
  const kill = h('button', { type: 'button', title: 'Sends SIGKILL: for a program that ignores Ctrl-C' }, 'Kill program');
  const end = h('button', { type: 'button', class: 'danger' }, 'End session');
  replace(ctx.main, h('div', { class: 'row spread' }, h('h1', {}, 'Terminal ', h('span', { class: 'mono small' }, s.id)), state),
    h('div', { class: 'row' }, interrupt, kill, end, h('a', { href: '#/terminal' }, 'All sessions'), h('a', { href: '#/editor' }, 'Editor')),
    out, box);

  const term = new Terminal({ cursorBlink: true, screenReaderMode: true, scrollback: 5000, fontSize: 14 });
  term.open(box);
  const decoder = new TextDecoder();
  const link = attach(s.id, {
    onAttach: () => term.reset(),   // the replay that follows redraws everything
    onOutput: (bytes) => term.write(decoder.decode(bytes, { stream: true })),
    onState: (text) => { state.textContent = text; },
    onExit: (exit) => {
      state.textContent = `The program ${ended(exit)}.`;
      for (const b of [interrupt, kill]) b.disabled = true;
      end.textContent = 'Close';
    },
    onError: (text) => showError(out, text),
  });
  term.on('data', (text) => link.send(text));
  term.on('resize', ({ cols, rows }) => link.resize(cols, rows));
  const refit = () => fit(term);
  refit();
  link.resize(term.cols, term.rows);
  window.addEventListener('resize', refit);
  interrupt.addEventListener('click', () => { link.signal('INT'); term.focus(); });
  kill.addEventListener('click', () => { link.signal('KILL'); term.focus(); });
  end.addEventListener('click', () => busy(end, out, async () => {
    link.close();
    await api.del(`${sessions}/${s.id}`).catch((e) => { if (e.status !== 404) throw e; });
    ctx.go('#/terminal');
  }));
  ctx.cleanup.push(() => { window.removeEventListener('resize', refit); link.close(); term.dispose(); });
  term.focus();
}
