// Vault formats (Protocol/PROTOCOL.md section 11) with Web Crypto: the page seals files before
// the node sees a byte, exactly as `elohim vault put` does, and opens what the CLI stored.
// It writes v2 (chunks deflated with the browser's CompressionStream, or stored when that does
// not shrink them) and opens v2 and v1 (zstd inside, which browsers do not ship: ./zstd.js).
//
// Keys: PBKDF2-HMAC-SHA256(passphrase, SHA-256("elohim/vault/v1/salt" || team), 600,000 rounds)
// → HMAC-SHA256 with "elohim/vault/v1/chunk" and "elohim/vault/v1/entry". Keys are
// non-extractable CryptoKeys: no script can read them back.

import { zstdDecompress } from './zstd.js';

export const CHUNK_SIZE = 524288;
export const ROUNDS = 600000;
const enc = new TextEncoder();
const subtle = () => {
  if (!globalThis.crypto?.subtle) throw new Error('This browser offers no Web Crypto here: open the page at http://127.0.0.1 or over https (a secure context).');
  return crypto.subtle;
};

export function hexToBytes(hex) {
  if (hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function unbase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function sha256Hex(bytes) {
  return bytesToHex(new Uint8Array(await subtle().digest('SHA-256', bytes)));
}

/** The chunk and entry keys of `passphrase` in team `teamHex` (about a second: the rounds are the point). */
export async function deriveKeys(passphrase, teamHex, rounds = ROUNDS) {
  const s = subtle();
  const salt = new Uint8Array(await s.digest('SHA-256', concat(enc.encode('elohim/vault/v1/salt'), hexToBytes(teamHex))));
  const base = await s.importKey('raw', enc.encode(passphrase), 'PBKDF2', false, ['deriveBits']);
  const master = await s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: rounds }, base, 256);
  const hmac = await s.importKey('raw', master, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sub = async (label) => s.importKey('raw', await s.sign('HMAC', hmac, enc.encode(label)), 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { chunk: await sub('elohim/vault/v1/chunk'), entry: await sub('elohim/vault/v1/entry') };
}

function chunkAAD(format, file, index, last) {
  const i = new Uint8Array(4);
  new DataView(i.buffer).setUint32(0, index, false);
  return concat(enc.encode(`elohim/vault/v${format}`), file, i, new Uint8Array([last ? 1 : 0]));
}

async function through(bytes, transform) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(transform)).arrayBuffer());
}

/** Raw deflate of one chunk. */
export const deflateRaw = (bytes) => through(bytes, new CompressionStream('deflate-raw'));

/** Inflates raw deflate, refusing to produce more than `max` bytes (a small stream can claim gigabytes). */
export async function inflateRaw(bytes, max) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) { await reader.cancel(); throw new Error('a chunk opens to more than a chunk holds'); }
    parts.push(value);
  }
  return concat(...parts);
}

/**
 * Seals plaintext chunk `index` (at most CHUNK_SIZE bytes) of file `file` (16 bytes) in format v2.
 * `options.nonce` and `options.method` (0 stored, 1 deflate) fix what is otherwise random or chosen, for test vectors.
 */
export async function sealChunk(plain, file, index, last, keys, options = {}) {
  if (plain.length > CHUNK_SIZE) throw new Error('a vault chunk holds at most 512 KiB');
  let method = options.method;
  let body = plain;
  if (method !== 0) {
    const deflated = await deflateRaw(plain);
    if (method === 1 || deflated.length < plain.length) { method = 1; body = deflated; } else method = 0;
  }
  const nonce = options.nonce || crypto.getRandomValues(new Uint8Array(12));
  const sealed = await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: chunkAAD(2, file, index, last), tagLength: 128 },
    keys.chunk, concat(new Uint8Array([method]), body));
  return concat(nonce, new Uint8Array(sealed));
}

export class VaultFormatError extends Error {}

/** Opens a sealed chunk of a `format` file; throws when the key, file, place or a byte is wrong. */
export async function openChunk(sealed, file, index, last, keys, format = 2) {
  if (format !== 1 && format !== 2) throw new VaultFormatError(`Vault format v${format} is newer than this page: update the node.`);
  if (sealed.length < 28) throw new VaultFormatError(`Chunk ${index} is too short to be sealed.`);
  let inner;
  try {
    inner = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: sealed.subarray(0, 12), additionalData: chunkAAD(format, file, index, last), tagLength: 128 },
      keys.chunk, sealed.subarray(12)));
  } catch {
    throw new VaultFormatError(`Chunk ${index} does not open: a wrong passphrase, or the stored bytes were altered.`);
  }
  if (format === 1) {
    try { return zstdDecompress(inner, CHUNK_SIZE); } catch (e) { throw new VaultFormatError(`Chunk ${index} does not open: ${e.message}.`); }
  }
  if (inner.length < 1) throw new VaultFormatError(`Chunk ${index} does not open: it holds no method byte.`);
  const body = inner.subarray(1);
  switch (inner[0]) {
    case 0:
      if (body.length > CHUNK_SIZE) throw new VaultFormatError(`Chunk ${index} holds more than a chunk may.`);
      return body;
    case 1:
      try { return await inflateRaw(body, CHUNK_SIZE); } catch (e) { throw new VaultFormatError(`Chunk ${index} does not open: ${e.message}.`); }
    default:
      throw new VaultFormatError(`Chunk ${index} uses compression method ${inner[0]}, which this page does not know: update the node.`);
  }
}

/** The entry `{name, size, file, chunks}` sealed in format v2, base64 (the blob's name in the index). */
export async function sealEntry(entry, keys, nonce = crypto.getRandomValues(new Uint8Array(12))) {
  const json = JSON.stringify({ chunks: entry.chunks, file: entry.file, name: entry.name, size: entry.size });
  const sealed = await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: enc.encode('elohim/vault/v2/entry'), tagLength: 128 },
    keys.entry, enc.encode(json));
  return base64(concat(nonce, new Uint8Array(sealed)));
}

/** The entry with its format, or null when another passphrase (another vault) sealed it. */
export async function openEntry(text, keys) {
  let bytes;
  try { bytes = unbase64(text); } catch { return null; }
  if (bytes.length < 29) return null;
  for (const format of [2, 1]) {
    try {
      const plain = await subtle().decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: enc.encode(`elohim/vault/v${format}/entry`), tagLength: 128 },
        keys.entry, bytes.subarray(12));
      const e = JSON.parse(new TextDecoder().decode(plain));
      if (typeof e.name !== 'string' || typeof e.file !== 'string' || !Number.isSafeInteger(e.size) || !Number.isSafeInteger(e.chunks)) return null;
      return { name: e.name, size: e.size, file: e.file, chunks: e.chunks, format };
    } catch { /* not this format, or not this vault */ }
  }
  return null;
}
