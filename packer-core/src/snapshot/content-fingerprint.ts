import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A small, bounded summary of a file's content that survives edits, for recognising a file renamed and edited
 * outside the packer (the way git's diffcore-rename scores renames). Text is cut into lines, binary into
 * content-defined chunks (a gear rolling hash, so an inserted byte shifts no later boundary); each piece is
 * hashed to 32 bits and only the SKETCH_SIZE smallest hashes are kept (a bottom-k sketch). Two sketches
 * estimate how much of the larger file the other one shares; for files of up to SKETCH_SIZE pieces the
 * estimate is exact. Only the first SAMPLE_BYTES are read, so the cost per file is bounded.
 */
export interface ContentFingerprint {
  readonly text: boolean;
  /** Distinct piece hashes (repeats are numbered, so it is a multiset), ascending, at most SKETCH_SIZE. */
  readonly hashes: Uint32Array;
}

export const SKETCH_SIZE = 64;
export const SAMPLE_BYTES = 1 << 20;
/** git's default rename threshold (`-M50%`): a pair below it is a delete and an add. */
export const SIMILARITY_THRESHOLD = 0.5;

// git's own test for "binary": a NUL byte in the first 8000 bytes.
const BINARY_PROBE = 8000;
// Chunk sizes for binary content: average ~64 bytes (6 mask bits), between 16 and 256.
const CHUNK_MIN = 16;
const CHUNK_MAX = 256;
const CHUNK_MASK = 0x3f << 26;
const GEAR = gearTable();
let sampleBuffer: Buffer | undefined;

/** Fingerprint of a file's first SAMPLE_BYTES; undefined when it cannot be read or has nothing to compare. */
export function fingerprintFile(absolute: string): ContentFingerprint | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(absolute, 'r');
    // One buffer for every call (fingerprinting is synchronous): a fresh MiB per file cost more than the hashing.
    const buffer = (sampleBuffer ??= Buffer.allocUnsafe(SAMPLE_BYTES));
    let length = 0;
    while (length < SAMPLE_BYTES) {
      const read = readSync(fd, buffer, length, SAMPLE_BYTES - length, null);
      if (read === 0) break;
      length += read;
    }
    return fingerprintBytes(buffer.subarray(0, length));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Fingerprint of some bytes; undefined when they hold no piece (empty, or only blank lines). */
export function fingerprintBytes(bytes: Uint8Array): ContentFingerprint | undefined {
  const probe = bytes.subarray(0, BINARY_PROBE);
  const text = !probe.includes(0);
  const pieces = text ? lineHashes(bytes) : chunkHashes(bytes);
  if (pieces.length === 0) return undefined;
  return { text, hashes: bottomK(pieces) };
}

/**
 * How much of the larger of two files the other shares, in [0, 1]: git's score (content kept / larger size),
 * counted in pieces and estimated from the union's bottom-k sample. Text and binary never compare.
 */
export function similarity(a: ContentFingerprint, b: ContentFingerprint): number {
  if (a.text !== b.text) return 0;
  // The k smallest hashes of the union: membership in each sketch is exact below both sketches' k-th value.
  const sample = bottomK(Uint32Array.from(new Set([...a.hashes, ...b.hashes])));
  let inA = 0;
  let inB = 0;
  let both = 0;
  let i = 0;
  let j = 0;
  for (const hash of sample) {
    while (i < a.hashes.length && a.hashes[i]! < hash) i++;
    while (j < b.hashes.length && b.hashes[j]! < hash) j++;
    const hasA = a.hashes[i] === hash;
    const hasB = b.hashes[j] === hash;
    if (hasA) inA++;
    if (hasB) inB++;
    if (hasA && hasB) both++;
  }
  const larger = Math.max(inA, inB);
  return larger === 0 ? 0 : both / larger;
}

/** Bytes: a kind flag, then the hashes (little-endian uint32). */
export function encodeFingerprint(fingerprint: ContentFingerprint): Buffer {
  const out = Buffer.allocUnsafe(1 + fingerprint.hashes.length * 4);
  out[0] = fingerprint.text ? 1 : 2;
  fingerprint.hashes.forEach((hash, index) => out.writeUInt32LE(hash, 1 + index * 4));
  return out;
}

export function decodeFingerprint(bytes: Uint8Array): ContentFingerprint | undefined {
  if (bytes.length < 5 || (bytes.length - 1) % 4 !== 0 || (bytes[0] !== 1 && bytes[0] !== 2)) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const hashes = new Uint32Array((bytes.length - 1) / 4);
  for (let index = 0; index < hashes.length; index++) hashes[index] = view.readUInt32LE(1 + index * 4);
  if (hashes.length > SKETCH_SIZE) return undefined;
  return { text: bytes[0] === 1, hashes };
}

/** One hash per non-blank line (trailing CR and surrounding spaces ignored); the n-th repeat of a line hashes apart. */
function lineHashes(bytes: Uint8Array): Uint32Array {
  const seen = new Map<number, number>();
  const out: number[] = [];
  let start = 0;
  for (let index = 0; index <= bytes.length; index++) {
    if (index < bytes.length && bytes[index] !== 0x0a) continue;
    let from = start;
    let to = index;
    start = index + 1;
    while (from < to && isSpace(bytes[from]!)) from++;
    while (to > from && isSpace(bytes[to - 1]!)) to--;
    if (from === to) continue;
    let hash = 0x811c9dc5;
    for (let k = from; k < to; k++) hash = Math.imul(hash ^ bytes[k]!, 0x01000193);
    const repeat = seen.get(hash) ?? 0;
    seen.set(hash, repeat + 1);
    out.push(mix(hash, repeat));
  }
  return Uint32Array.from(out);
}

/** One hash per content-defined chunk, repeats numbered as for lines. */
function chunkHashes(bytes: Uint8Array): Uint32Array {
  const seen = new Map<number, number>();
  const out: number[] = [];
  let rolling = 0;
  let hash = 0x811c9dc5;
  let length = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!;
    rolling = ((rolling << 1) + GEAR[byte]!) | 0;
    hash = Math.imul(hash ^ byte, 0x01000193);
    length++;
    if ((length >= CHUNK_MIN && (rolling & CHUNK_MASK) === 0) || length >= CHUNK_MAX || index === bytes.length - 1) {
      const repeat = seen.get(hash) ?? 0;
      seen.set(hash, repeat + 1);
      out.push(mix(hash, repeat));
      hash = 0x811c9dc5;
      length = 0;
    }
  }
  return Uint32Array.from(out);
}

function bottomK(hashes: Uint32Array): Uint32Array {
  const sorted = Uint32Array.from(new Set(hashes)).sort();
  return sorted.length > SKETCH_SIZE ? sorted.slice(0, SKETCH_SIZE) : sorted;
}

// A finaliser (murmur3's) so that sketch order is uniform whatever the piece hashes look like.
function mix(hash: number, repeat: number): number {
  let h = (hash ^ Math.imul(repeat, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d;
}

function gearTable(): Int32Array {
  // Fixed pseudo-random values (xorshift32 from a constant seed): chunk boundaries must be the same in every process.
  const table = new Int32Array(256);
  let x = 0x9e3779b9;
  for (let index = 0; index < 256; index++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[index] = x | 0;
  }
  return table;
}
