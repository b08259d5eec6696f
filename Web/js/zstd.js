// A zstd decoder (RFC 8878), so the page opens vault format v1 chunks, which hold zstd, as the
// CLI does: browsers ship deflate and not zstd. Decompression only, whole frames in memory, no
// dictionaries; it refuses to produce more than `maxSize` bytes. The content checksum, when a
// frame has one, is skipped: every vault chunk is authenticated by AES-GCM before it gets here.
// Written from the RFC's text; checked against the zstd tool's output in the browser test.

export class ZstdError extends Error {}
const fail = (why) => { throw new ZstdError(`not a valid zstd frame: ${why}`); };

const MAX_BLOCK = 128 * 1024;

// Predefined distributions and code tables (RFC 8878 sections 3.1.1.3.2.1 and 3.1.1.3.2.2).
const LL_DEFAULT = [4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1];
const ML_DEFAULT = [1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1];
const OF_DEFAULT = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1];
const LL_BASE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
const LL_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const ML_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539];
const ML_BITS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

/** The `n` bits (n ≤ 32) of `buf[start..end)` seen as a little-endian number, from bit `pos` up; bits below 0 read as 0. */
function bitsAt(buf, start, end, pos, n) {
  if (n === 0) return 0;
  const lo = Math.floor(pos / 8), hi = Math.floor((pos + n - 1) / 8);
  let v = 0, scale = 1;
  for (let k = lo; k <= hi; k++) {
    const i = start + k;
    if (k >= 0 && i < end) v += buf[i] * scale;
    scale *= 256;
  }
  return Math.floor(v / 2 ** (pos - lo * 8)) % 2 ** n;
}

/** A bitstream read backwards from its end, as FSE and Huffman streams are (RFC 8878 4.1). */
class BackwardBits {
  constructor(buf, start, end) {
    if (end <= start) fail('an empty bitstream');
    const last = buf[end - 1];
    if (last === 0) fail('a bitstream without its end mark');
    this.buf = buf; this.start = start; this.end = end;
    this.left = (end - start - 1) * 8 + (31 - Math.clz32(last));  // bits below the mark
  }
  read(n) { this.left -= n; return bitsAt(this.buf, this.start, this.end, this.left, n); }
  peek(n) { return bitsAt(this.buf, this.start, this.end, this.left - n, n); }
  skip(n) { this.left -= n; }
}

/** Reads an FSE table description (normalized counts) at `pos`; returns {table, bytes}. */
function readFSE(buf, pos, end, maxSymbol, maxLog) {
  let bit = 0;
  const take = (n) => { const v = bitsAt(buf, pos, end, bit, n); bit += n; return v; };
  const log = take(4) + 5;
  if (log > maxLog) fail(`an FSE table of accuracy ${log} past ${maxLog}`);
  const norm = [];
  let remaining = (1 << log) + 1, threshold = 1 << log, nbBits = log + 1, symbol = 0, previous0 = false;
  while (remaining > 1 && symbol <= maxSymbol) {
    if (previous0) {
      let repeat;
      do { repeat = take(2); for (let i = 0; i < repeat; i++) norm[symbol++] = 0; } while (repeat === 3);
      if (symbol > maxSymbol) break;
    }
    const max = 2 * threshold - 1 - remaining;
    let count;
    const low = bitsAt(buf, pos, end, bit, nbBits - 1);
    if (low < max) { count = low; bit += nbBits - 1; } else {
      count = bitsAt(buf, pos, end, bit, nbBits);
      if (count >= threshold) count -= max;
      bit += nbBits;
    }
    count--;
    remaining -= Math.abs(count);
    norm[symbol++] = count;
    previous0 = count === 0;
    while (remaining < threshold) { nbBits--; threshold >>= 1; }
  }
  if (remaining !== 1 || symbol > maxSymbol + 1) fail('an FSE table whose counts do not add up');
  const bytes = (bit + 7) >> 3;
  if (pos + bytes > end) fail('an FSE table past its block');
  return { table: buildFSE(norm, log), bytes };
}

/** The decoding table of normalized counts `norm` at accuracy `log`: {symbol, bits, base} per state. */
function buildFSE(norm, log) {
  const size = 1 << log;
  const symbols = new Uint8Array(size), bits = new Uint8Array(size), base = new Uint16Array(size);
  const next = [];
  let high = size - 1;
  for (let s = 0; s < norm.length; s++) {
    if (norm[s] === -1) { symbols[high--] = s; next[s] = 1; } else next[s] = norm[s] || 0;
  }
  const step = (size >> 1) + (size >> 3) + 3, mask = size - 1;
  let position = 0;
  for (let s = 0; s < norm.length; s++) {
    for (let i = 0; i < norm[s]; i++) {
      symbols[position] = s;
      do position = (position + step) & mask; while (position > high);
    }
  }
  if (position !== 0) fail('an FSE table that does not fill its states');
  for (let u = 0; u < size; u++) {
    const state = next[symbols[u]]++;
    const nb = log - (31 - Math.clz32(state));
    bits[u] = nb;
    base[u] = (state << nb) - size;
  }
  return { log, symbols, bits, base };
}

function rleTable(symbol) {
  return { log: 0, symbols: Uint8Array.of(symbol), bits: Uint8Array.of(0), base: Uint16Array.of(0) };
}

const PREDEFINED = { ll: buildFSE(LL_DEFAULT, 6), ml: buildFSE(ML_DEFAULT, 6), of: buildFSE(OF_DEFAULT, 5) };

/** Reads a Huffman tree description at `pos`; returns {table, bytes}. */
function readHuffman(buf, pos, end) {
  const header = buf[pos];
  let weights = [], bytes;
  if (header < 128) {
    // Weights compressed with FSE: two states interleaved over one backward stream.
    bytes = 1 + header;
    if (pos + bytes > end) fail('a Huffman description past its block');
    const { table, bytes: tableBytes } = readFSE(buf, pos + 1, pos + bytes, 255, 6);
    const bits = new BackwardBits(buf, pos + 1 + tableBytes, pos + bytes);
    let s1 = bits.read(table.log), s2 = bits.read(table.log);
    const decode = (state) => table.base[state] + bits.read(table.bits[state]);
    for (;;) {
      if (weights.length > 254) fail('too many Huffman weights');
      weights.push(table.symbols[s1]); s1 = decode(s1);
      if (bits.left < 0) { weights.push(table.symbols[s2]); break; }
      if (weights.length > 254) fail('too many Huffman weights');
      weights.push(table.symbols[s2]); s2 = decode(s2);
      if (bits.left < 0) { weights.push(table.symbols[s1]); break; }
    }
  } else {
    const count = header - 127;
    bytes = 1 + Math.ceil(count / 2);
    if (pos + bytes > end) fail('a Huffman description past its block');
    for (let i = 0; i < count; i++) weights.push(i % 2 === 0 ? buf[pos + 1 + i / 2] >> 4 : buf[pos + 1 + (i - 1) / 2] & 15);
  }
  let total = 0;
  for (const w of weights) { if (w > 11) fail('a Huffman weight past 11'); if (w) total += 1 << (w - 1); }
  if (total === 0) fail('a Huffman tree without symbols');
  const maxBits = 32 - Math.clz32(total);
  const rest = (1 << maxBits) - total;
  if (rest & (rest - 1)) fail('a Huffman tree that does not complete');
  weights.push(32 - Math.clz32(rest));
  if (maxBits > 11) fail('Huffman codes past 11 bits');
  const size = 1 << maxBits;
  const symbols = new Uint8Array(size), lengths = new Uint8Array(size);
  let at = 0;
  for (let w = 1; w <= maxBits; w++) {
    for (let s = 0; s < weights.length; s++) {
      if (weights[s] !== w) continue;
      const span = 1 << (w - 1);
      symbols.fill(s, at, at + span);
      lengths.fill(maxBits + 1 - w, at, at + span);
      at += span;
    }
  }
  if (at !== size) fail('a Huffman table that does not fill');
  return { table: { maxBits, symbols, lengths }, bytes };
}

function huffmanStream(buf, start, end, table, out, from, count) {
  const bits = new BackwardBits(buf, start, end);
  for (let i = 0; i < count; i++) {
    const k = bits.peek(table.maxBits);
    out[from + i] = table.symbols[k];
    bits.skip(table.lengths[k]);
  }
  if (bits.left !== 0) fail('a Huffman stream not ending where its literals do');
}

function literals(buf, pos, end, state) {
  const b0 = buf[pos], type = b0 & 3, format = (b0 >> 2) & 3;
  if (type < 2) {
    let size, header;
    if (format === 0 || format === 2) { size = b0 >> 3; header = 1; } else if (format === 1) { size = (b0 >> 4) + (buf[pos + 1] << 4); header = 2; } else {
      size = (b0 >> 4) + (buf[pos + 1] << 4) + (buf[pos + 2] << 12); header = 3;
    }
    if (size > MAX_BLOCK) fail('literals past a block');
    if (type === 0) {
      if (pos + header + size > end) fail('raw literals past their block');
      return { lits: buf.subarray(pos + header, pos + header + size), bytes: header + size };
    }
    if (pos + header >= end) fail('RLE literals past their block');
    return { lits: new Uint8Array(size).fill(buf[pos + header]), bytes: header + 1 };
  }
  let regen, comp, header, streams = format === 0 ? 1 : 4;
  if (format <= 1) { regen = (b0 >> 4) | ((buf[pos + 1] & 63) << 4); comp = (buf[pos + 1] >> 6) | (buf[pos + 2] << 2); header = 3; } else if (format === 2) {
    regen = (b0 >> 4) | (buf[pos + 1] << 4) | ((buf[pos + 2] & 3) << 12); comp = (buf[pos + 2] >> 2) | (buf[pos + 3] << 6); header = 4;
  } else {
    regen = (b0 >> 4) | (buf[pos + 1] << 4) | ((buf[pos + 2] & 63) << 12); comp = (buf[pos + 2] >> 6) | (buf[pos + 3] << 2) | (buf[pos + 4] << 10); header = 5;
  }
  if (regen > MAX_BLOCK) fail('literals past a block');
  let at = pos + header;
  const stop = at + comp;
  if (stop > end) fail('compressed literals past their block');
  if (type === 2) {
    const { table, bytes } = readHuffman(buf, at, stop);
    state.huffman = table;
    at += bytes;
  } else if (!state.huffman) fail('literals that repeat a Huffman table never given');
  const lits = new Uint8Array(regen);
  if (streams === 1) huffmanStream(buf, at, stop, state.huffman, lits, 0, regen);
  else {
    if (at + 6 > stop) fail('a jump table past its literals');
    const s1 = buf[at] | (buf[at + 1] << 8), s2 = buf[at + 2] | (buf[at + 3] << 8), s3 = buf[at + 4] | (buf[at + 5] << 8);
    const each = Math.floor((regen + 3) / 4);
    let p = at + 6;
    const sizes = [s1, s2, s3, stop - p - s1 - s2 - s3];
    if (sizes[3] < 1) fail('a fourth literal stream of no bytes');
    for (let i = 0; i < 4; i++) {
      const count = i < 3 ? each : regen - 3 * each;
      if (count < 0) fail('literal streams larger than their literals');
      huffmanStream(buf, p, p + sizes[i], state.huffman, lits, i * each, count);
      p += sizes[i];
    }
  }
  return { lits, bytes: stop - pos };
}

function sequenceTable(mode, buf, pos, end, name, state, maxSymbol, maxLog) {
  switch (mode) {
    case 0: state[name] = PREDEFINED[name]; return 0;
    case 1: if (pos >= end) fail('an RLE table past its block'); state[name] = rleTable(buf[pos]); if (buf[pos] > maxSymbol) fail('an RLE symbol out of range'); return 1;
    case 2: { const { table, bytes } = readFSE(buf, pos, end, maxSymbol, maxLog); state[name] = table; return bytes; }
    default: if (!state[name]) fail('a sequence table that repeats one never given'); return 0;
  }
}

function block(buf, pos, end, out, state, maxSize, frameStart) {
  const { lits, bytes } = literals(buf, pos, end, state);
  let at = pos + bytes;
  if (at >= end) fail('a block without its sequence section');
  let count = buf[at++];
  if (count >= 128) {
    if (count < 255) { count = ((count - 128) << 8) + buf[at++]; } else { count = buf[at] + (buf[at + 1] << 8) + 0x7f00; at += 2; }
  }
  let litPos = 0;
  if (count > 0) {
    const modes = buf[at++];
    if (modes & 3) fail('reserved bits set in the sequence modes');
    at += sequenceTable(modes >> 6, buf, at, end, 'll', state, 35, 9);
    at += sequenceTable((modes >> 4) & 3, buf, at, end, 'of', state, 31, 8);
    at += sequenceTable((modes >> 2) & 3, buf, at, end, 'ml', state, 52, 9);
    if (at > end) fail('sequence tables past their block');
    const bits = new BackwardBits(buf, at, end);
    const { ll, of, ml } = state;
    let sll = bits.read(ll.log), sof = bits.read(of.log), sml = bits.read(ml.log);
    const rep = state.rep;
    for (let i = 0; i < count; i++) {
      const ofCode = of.symbols[sof], mlCode = ml.symbols[sml], llCode = ll.symbols[sll];
      if (ofCode > 31 || mlCode > 52 || llCode > 35) fail('a sequence code out of range');
      let offset = 2 ** ofCode + bits.read(ofCode);
      const matchLength = ML_BASE[mlCode] + bits.read(ML_BITS[mlCode]);
      const literalLength = LL_BASE[llCode] + bits.read(LL_BITS[llCode]);
      if (offset > 3) { rep[2] = rep[1]; rep[1] = rep[0]; rep[0] = offset -= 3; } else {
        const idx = offset - 1 + (literalLength === 0 ? 1 : 0);
        if (idx > 0) {
          let o = idx === 3 ? rep[0] - 1 : rep[idx];
          if (o === 0) o = 1;
          if (idx !== 1) rep[2] = rep[1];
          rep[1] = rep[0];
          rep[0] = o;
        }
        offset = rep[0];
      }
      if (i + 1 < count) {
        sll = ll.base[sll] + bits.read(ll.bits[sll]);
        sml = ml.base[sml] + bits.read(ml.bits[sml]);
        sof = of.base[sof] + bits.read(of.bits[sof]);
      }
      if (litPos + literalLength > lits.length) fail('a sequence takes more literals than there are');
      if (out.length + literalLength + matchLength > maxSize) throw new ZstdError(`the frame opens to more than ${maxSize} bytes`);
      for (let k = 0; k < literalLength; k++) out.push(lits[litPos++]);
      if (offset > out.length - frameStart) fail('a match before the start of the frame');
      const from = out.length - offset;
      for (let k = 0; k < matchLength; k++) out.push(out.bytes[from + k]);
    }
    if (bits.left !== 0) fail('a sequence stream not ending where its sequences do');
  }
  if (out.length + lits.length - litPos > maxSize) throw new ZstdError(`the frame opens to more than ${maxSize} bytes`);
  while (litPos < lits.length) out.push(lits[litPos++]);
}

/** A growing byte buffer bounded by the caller's limit. */
class Output {
  constructor(capacity) { this.bytes = new Uint8Array(Math.max(capacity, 64)); this.length = 0; }
  push(b) {
    if (this.length === this.bytes.length) { const more = new Uint8Array(this.bytes.length * 2); more.set(this.bytes); this.bytes = more; }
    this.bytes[this.length++] = b;
  }
}

/** Decompresses every frame in `src` (skippable frames are skipped); at most `maxSize` bytes. */
export function zstdDecompress(src, maxSize) {
  const out = new Output(Math.min(maxSize, 1 << 16));
  let pos = 0;
  if (src.length < 4) fail('too short');
  while (pos < src.length) {
    if (pos + 4 > src.length) fail('trailing bytes');
    const magic = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16) | (src[pos + 3] << 24)) >>> 0;
    pos += 4;
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      const size = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16) | (src[pos + 3] << 24)) >>> 0;
      pos += 4 + size;
      if (pos > src.length) fail('a skippable frame past the end');
      continue;
    }
    if (magic !== 0xfd2fb528) fail('no zstd magic number');
    const fhd = src[pos++];
    const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1, dictFlag = fhd & 3;
    if (fhd & 8) fail('a reserved header bit set');
    if (!single) pos++;  // the window descriptor: the whole frame is kept, so its size does not matter
    const dictBytes = [0, 1, 2, 4][dictFlag];
    let dict = 0;
    for (let i = 0; i < dictBytes; i++) dict += src[pos + i] * 256 ** i;
    if (dict !== 0) fail('a frame that needs a dictionary');
    pos += dictBytes;
    const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag];
    let contentSize = -1;
    if (fcsBytes) {
      contentSize = 0;
      for (let i = 0; i < fcsBytes; i++) contentSize += src[pos + i] * 256 ** i;
      if (fcsBytes === 2) contentSize += 256;
      if (contentSize > maxSize) throw new ZstdError(`the frame says it opens to ${contentSize} bytes, more than ${maxSize}`);
    }
    pos += fcsBytes;
    const frameStart = out.length;
    const state = { huffman: null, ll: null, of: null, ml: null, rep: [1, 4, 8] };
    for (let last = 0; !last;) {
      if (pos + 3 > src.length) fail('a block header past the end');
      const h = src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16);
      pos += 3;
      last = h & 1;
      const type = (h >> 1) & 3, size = h >>> 3;
      if (type === 3) fail('a reserved block type');
      if (size > MAX_BLOCK) fail('a block past 128 KiB');
      if (type === 1) {
        if (pos >= src.length) fail('an RLE block past the end');
        if (out.length + size > maxSize) throw new ZstdError(`the frame opens to more than ${maxSize} bytes`);
        for (let i = 0; i < size; i++) out.push(src[pos]);
        pos += 1;
        continue;
      }
      if (pos + size > src.length) fail('a block past the end');
      if (type === 0) {
        if (out.length + size > maxSize) throw new ZstdError(`the frame opens to more than ${maxSize} bytes`);
        for (let i = 0; i < size; i++) out.push(src[pos + i]);
      } else block(src, pos, pos + size, out, state, maxSize, frameStart);
      pos += size;
    }
    if (checksum) pos += 4;
    if (pos > src.length) fail('a checksum past the end');
    if (contentSize >= 0 && out.length - frameStart !== contentSize) fail('a frame that opens to another size than it says');
  }
  return out.bytes.slice(0, out.length);
}
