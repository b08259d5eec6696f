// The vault: files sealed here, in the browser, before the node sees a byte (vault format v2,
// the CLI's format: `elohim vault get` opens what this page puts, and the reverse). Files are
// read, sealed and sent one 512 KiB chunk at a time, and fetched and opened one chunk at a time,
// so the page's memory does not grow with the file. A passphrase opens its own vault; another
// passphrase (a decoy) opens another, and nothing on the node tells how many there are.
import { h, replace, field, status, busy, showOk, showError } from '../dom.js';
import * as api from '../api.js';
import { size, shortId } from '../format.js';
import { loadTeams, setCurrentTeam } from '../teamstate.js';
import * as vf from '../vault-format.js';
import * as session from '../session.js';

// Keys stay in this page's memory only (lost on reload), per team.
const opened = new Map();
let transferring = 0;
// Signing out (or a session that ends) forgets every key.
session.onChange((s) => { if (!s) opened.clear(); });

export default async function vault(ctx) {
  ctx.title('Vault');
  const { teams, team } = await loadTeams();
  if (!team) {
    replace(ctx.main, h('section', { class: 'card' }, h('h1', {}, 'Vault'), h('p', {}, 'The vault belongs to a team. ', h('a', { href: '#/teams' }, 'Create or join a team'), ' first.')));
    return;
  }
  const picker = h('select', { name: 'team' }, teams.map((t) => h('option', { value: t.id, selected: t.id === team.id }, t.name)));
  picker.addEventListener('change', () => { setCurrentTeam(picker.value); vault(ctx); });
  const body = h('div');
  replace(ctx.main, h('h1', {}, 'Vault'), h('section', { class: 'card' }, field('Team', picker)), body);
  const keys = opened.get(team.id);
  if (keys) await showFiles(ctx, body, team, keys); else unlockForm(ctx, body, team);
  // Another device's file appears by itself; not while this page is sending or fetching one.
  ctx.onEvent((e) => !transferring && e.type === 'replica' && e.team === team.id && e.ops?.some((o) => o.action.endsWith('blob')));
}

function unlockForm(ctx, body, team) {
  const pass = h('input', { type: 'password', name: 'passphrase', required: true, minlength: 8, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Open the vault');
  const out = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'unlock-h' }, h('h2', { id: 'unlock-h' }, `Open the vault of ${team.name}`),
    h('p', {}, 'Your passphrase makes the key here, in this browser; it is never sent. A passphrase not used before opens a new, empty vault; another passphrase opens another vault.'),
    field('Vault passphrase', pass, 'At least 8 characters. A forgotten passphrase cannot be recovered.'), submit, out);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(submit, out, async () => {
      out.textContent = 'Making the key (600,000 rounds of PBKDF2)…';
      const keys = await vf.deriveKeys(pass.value, team.id);
      pass.value = '';
      opened.set(team.id, keys);
      await showFiles(ctx, body, team, keys);
    });
  });
  replace(body, form);
  pass.focus();
}

async function showFiles(ctx, body, team, keys) {
  const { files } = await api.get(`/api/v1/teams/${team.id}/vault/files`);
  const mine = [];
  for (const f of files) {
    const entry = await vf.openEntry(f.name, keys);
    if (entry) mine.push({ ...f, entry });
  }
  mine.sort((a, b) => a.entry.name.localeCompare(b.entry.name));
  const out = status();
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Progress' });
  const progressText = h('p', { class: 'small', 'aria-live': 'polite' });
  const lock = h('button', { type: 'button' }, 'Lock');
  lock.addEventListener('click', () => { opened.delete(team.id); vault(ctx); });
  const rows = mine.map((f) => {
    const get = h('button', { type: 'button', 'data-blob': f.blob }, 'Download');
    get.addEventListener('click', () => busy(get, out, async () => {
      transferring++;
      try { await download(team, keys, f, progress, progressText, out); } finally { transferring--; }
    }));
    const rm = h('button', { type: 'button', class: 'danger' }, 'Delete');
    rm.addEventListener('click', () => {
      if (!confirm(`Delete ${f.entry.name} from the vault, on every node of the team?`)) return;
      busy(rm, out, async () => { await api.del(`/api/v1/teams/${team.id}/vault/files/${f.blob}`); await showFiles(ctx, body, team, keys); });
    });
    return h('tr', {}, h('td', { 'data-label': 'Name' }, f.entry.name), h('td', { 'data-label': 'Size' }, size(f.entry.size)),
      h('td', { 'data-label': 'Format' }, `v${f.entry.format}`),
      h('td', { 'data-label': 'ID', class: 'mono small', title: f.blob }, shortId(f.blob)),
      h('td', { 'data-label': 'Actions' }, h('div', { class: 'row' }, get, rm)));
  });
  const pick = canPick ? h('input', { type: 'checkbox', name: 'pick', checked: pickPreferred() }) : null;
  pick?.addEventListener('change', () => localStorage.setItem('elohim.saveWith', pick.checked ? 'picker' : 'downloads'));
  const input = h('input', { type: 'file', name: 'file', multiple: true });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Seal and upload');
  const form = h('form', { 'aria-labelledby': 'upload-h' }, h('h2', { id: 'upload-h' }, 'Add files'), field('Files', input, 'Sealed here, 512 KiB at a time; the node never sees a name or a byte in clear.'), send);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(send, out, async () => {
      if (!input.files.length) throw new Error('Choose a file first.');
      transferring++;
      try {
        for (const file of input.files) await upload(team, keys, file, progress, progressText);
      } finally { transferring--; }
      const done = progressText.textContent;
      input.value = '';
      await showFiles(ctx, body, team, keys);
      const panel = body.lastElementChild;
      panel.querySelector('p.small').textContent = done;
      showOk(panel.querySelector('p.status'), 'Stored.');
    });
  });
  replace(body,
    h('section', { class: 'card', 'aria-labelledby': 'files-h' }, h('div', { class: 'row spread' }, h('h2', { id: 'files-h' }, `Files this passphrase opens (${mine.length})`), lock),
      mine.length ? h('table', { class: 'stack', id: 'vault-files' }, h('thead', {}, h('tr', {}, ['Name', 'Size', 'Format', 'ID', 'Actions'].map((x) => h('th', {}, x)))), h('tbody', {}, rows))
        : h('p', { class: 'muted' }, 'No files open under this passphrase yet. If you expected some, check the passphrase: a mistyped one opens an empty vault.'),
      h('p', { class: 'muted small' }, `${files.length - mine.length} other file${files.length - mine.length === 1 ? '' : 's'} in this team's vault belong to other passphrases.`),
      pick ? h('div', { class: 'checks' }, h('label', {}, pick, 'Save downloads straight into a file I choose (large files never fill memory)')) : null),
    h('section', { class: 'card' }, form, progress, progressText, out));
}

function showProgress(progress, text, label, done, total) {
  progress.hidden = false;
  progress.max = Math.max(total, 1);
  progress.value = done;
  text.textContent = `${label}: ${size(done)} of ${size(total)} (${total ? Math.floor((done * 100) / total) : 100}%)`;
}

async function upload(team, keys, file, progress, text) {
  const chunks = Math.ceil(file.size / vf.CHUNK_SIZE);
  const fileId = crypto.getRandomValues(new Uint8Array(16));
  const ids = [];
  showProgress(progress, text, `Sealing and sending ${file.name}`, 0, file.size);
  for (let i = 0; i < chunks; i++) {
    // One chunk in memory at a time: read its slice, seal, send, forget.
    const plain = new Uint8Array(await file.slice(i * vf.CHUNK_SIZE, Math.min(file.size, (i + 1) * vf.CHUNK_SIZE)).arrayBuffer());
    const sealed = await vf.sealChunk(plain, fileId, i, i === chunks - 1, keys);
    const address = await vf.sha256Hex(sealed);
    await api.put(`/api/v1/teams/${team.id}/vault/chunks/${address}`, sealed, { retries: 20 });
    ids.push(address);
    showProgress(progress, text, `Sealing and sending ${file.name}`, Math.min(file.size, (i + 1) * vf.CHUNK_SIZE), file.size);
  }
  const name = await vf.sealEntry({ name: file.name, size: file.size, file: vf.bytesToHex(fileId), chunks }, keys);
  await api.post(`/api/v1/teams/${team.id}/vault/files`, { name, size: chunks * vf.CHUNK_SIZE, chunks: ids, chunkSize: vf.CHUNK_SIZE }, { retries: 5 });
}

/** Whether downloads go straight into a file the person picks (the File System Access API:
 * chunks are written as they open, so memory does not grow with the file), else through the
 * browser's downloads (each opened chunk a Blob, which the browser may keep on disk). */
const canPick = typeof window.showSaveFilePicker === 'function';
function pickPreferred() { return canPick && localStorage.getItem('elohim.saveWith') !== 'downloads'; }

async function saveTarget(name) {
  if (pickPreferred()) {
    let handle;
    try { handle = await window.showSaveFilePicker({ suggestedName: name }); } catch (e) {
      if (e.name === 'AbortError') throw new Error('Not saved: no file was chosen.');
      throw e;
    }
    const writable = await handle.createWritable();
    return { write: (bytes) => writable.write(bytes), done: () => writable.close(), abort: () => writable.abort() };
  }
  const parts = [];
  return {
    write: async (bytes) => { parts.push(new Blob([bytes])); },
    abort: async () => { parts.length = 0; },
    done: async () => {
      const url = URL.createObjectURL(new Blob(parts, { type: 'application/octet-stream' }));
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  };
}

async function download(team, keys, f, progress, text, out) {
  const { entry } = f;
  if (entry.chunks !== f.chunks.length) throw new Error(`The entry of ${entry.name} does not match its chunks: the index was altered.`);
  const file = vf.hexToBytes(entry.file);
  const target = await saveTarget(entry.name);
  let written = 0;
  showProgress(progress, text, `Fetching and opening ${entry.name}`, 0, entry.size);
  try {
    for (let i = 0; i < f.chunks.length; i++) {
      const sealed = new Uint8Array(await api.get(`/api/v1/teams/${team.id}/vault/chunks/${f.chunks[i]}`, { binary: true, retries: 20 }));
      if (await vf.sha256Hex(sealed) !== f.chunks[i]) throw new Error(`Chunk ${i} came back altered.`);
      const plain = await vf.openChunk(sealed, file, i, i === f.chunks.length - 1, keys, entry.format);
      await target.write(plain);
      written += plain.length;
      showProgress(progress, text, `Fetching and opening ${entry.name}`, written, entry.size);
    }
    if (written !== entry.size) throw new Error(`${entry.name} opened to ${written} bytes, not the ${entry.size} stored: not kept.`);
  } catch (e) {
    await target.abort();
    throw e;
  }
  await target.done();
  showOk(out, `Opened ${entry.name} (${size(written)}).`);
}
