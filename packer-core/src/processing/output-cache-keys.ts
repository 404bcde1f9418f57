import { MAX_KEY_BYTES } from '../state-store/state-store.js';
import type { CacheRow } from './output-cache-index.js';

// Key spaces of the output cache's one store. Numbers are zero-padded so that LMDB's byte order of keys is their
// numeric order, and every key is ASCII (cache keys are hex). Two keys per output: its row, and its place in the
// order of use (stored outputs per segment, so one range holds what compaction copies and the LRU is a merge of
// one range per segment).
/** r:<cache key> → CacheRow */
export const ROW = 'r:';
/** g:<segment>:<lastUsed>:<cache key> → 1: the stored outputs of a segment, least recently used first. */
const STORED = 'g:';
/** p:<lastUsed>:<cache key> → 1: pass-through outputs by last use (only stats read it). */
export const PASSTHROUGH = 'p:';
/** s:<segment> → SegmentCount */
export const SEGMENT = 's:';
/** → { version, entries } */
export const META = 'm:';
/**
 * → 1 while a commit of several transactions is under way (see OutputCacheIndex.commit): found by an open, the
 * store's rows, use keys and counts may disagree, and the store is taken as empty.
 */
export const COMMITTING = 'c:';
const TIME_DIGITS = 15;
const SEGMENT_DIGITS = 10;

/** The first key past every key that starts with `prefix` (prefixes end in ':', and ';' follows it). */
export function after(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The prefix of the keys of a segment's stored outputs. */
export function storedPrefix(segment: number): string {
  return `${STORED}${pad(segment, SEGMENT_DIGITS)}:`;
}

/** The cache key and the last use of a key that starts with `prefix` (a storedPrefix or PASSTHROUGH). */
export function parseUseKey(prefix: string, key: string): { cacheKey: string; time: number } {
  return {
    cacheKey: key.slice(prefix.length + TIME_DIGITS + 1),
    time: Number(key.slice(prefix.length, prefix.length + TIME_DIGITS)),
  };
}

export function segmentCountKey(id: number): string {
  return SEGMENT + pad(id, SEGMENT_DIGITS);
}

/** Whether a cache key fits in every key space of the store (keys that do not are not cached). */
export function fitsKey(key: string): boolean {
  return (key.length + 32) * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key) + 32 <= MAX_KEY_BYTES;
}

/**
 * The writes that take the store from `original` (as stored; absent: no row) to `pending` (null: deleted), as
 * [key, value] (value undefined: remove). Each key space comes sorted: LMDB then fills pages one after the other
 * instead of splitting pages all over the tree (a cold build's 100k rows commit several times faster), and a run of
 * consecutive writes touches one stretch of the tree. Lazy: a key is made when it is written, never a list of them
 * all (a cold 100k build's commit held ~200k key strings and 300k [key, value] pairs at once, the top of its memory
 * peak).
 */
export function* indexChanges(
  pending: ReadonlyMap<string, CacheRow | null>,
  original: ReadonlyMap<string, CacheRow | null>,
): Generator<[key: string, value: unknown]> {
  // Plain string sorts (ASCII keys: code unit order is LMDB's byte order); the keys of one build's outputs come
  // nearly in order of use already, which the sort goes through in one pass.
  const keys = [...pending.keys()].sort();
  const removed: [string, CacheRow][] = [];
  const added: [string, CacheRow][] = [];
  for (const key of keys) {
    const row = pending.get(key) ?? null;
    const old = original.get(key) ?? null;
    if (old && row && sameUse(old, row)) continue;
    if (old) removed.push([key, old]);
    if (row) added.push([key, row]);
  }
  removed.sort(byUse);
  for (const [key, old] of removed) yield [useKey(key, old), undefined];
  removed.length = 0;
  added.sort(byUse);
  for (const [key, row] of added) yield [useKey(key, row), 1];
  added.length = 0;
  for (const key of keys) {
    const row = pending.get(key) ?? null;
    if (!row && !original.get(key)) continue;
    yield [ROW + key, row ?? undefined];
  }
}

/** Whether two rows have the same use key (same key space, segment and last use second). */
function sameUse(a: CacheRow, b: CacheRow): boolean {
  return spaceOf(a) === spaceOf(b) && timeOf(a) === timeOf(b);
}

/**
 * The order of `useKey(key, row)` strings without making them: stored outputs (`g:`) before pass-through ones
 * (`p:`), then by segment, last use and cache key; zero-padded numbers sort as numbers.
 */
function byUse([keyA, a]: [string, CacheRow], [keyB, b]: [string, CacheRow]): number {
  return spaceOf(a) - spaceOf(b) || timeOf(a) - timeOf(b) || (keyA < keyB ? -1 : keyA > keyB ? 1 : 0);
}

/** A stored output's segment, or past every segment for pass-through (`p:` sorts after `g:`). */
function spaceOf(row: CacheRow): number {
  return row[4] >= 0 ? row[4] : Number.MAX_SAFE_INTEGER;
}

function timeOf(row: CacheRow): number {
  return Math.max(0, Math.floor(row[2]));
}

function useKey(key: string, row: CacheRow): string {
  const time = pad(timeOf(row), TIME_DIGITS);
  return `${row[4] >= 0 ? storedPrefix(row[4]) : PASSTHROUGH}${time}:${key}`;
}

function pad(value: number, digits: number): string {
  return String(value).padStart(digits, '0');
}
