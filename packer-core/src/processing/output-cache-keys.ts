import { MAX_KEY_BYTES } from '../state-store/state-store.js';
import type { CacheRow } from './output-cache-index.js';

// Key spaces of the output cache's one store; numbers are zero-padded so that LMDB's byte order of keys is their
// numeric order, and every key is ASCII (cache keys are hex).
/** r:<cache key> → CacheRow */
export const ROW = 'r:';
/** u:<lastUsed>:<cache key> → 1: stored outputs by last use, the order the cap and `prune` evict in. */
export const STORED = 'u:';
/** p:<lastUsed>:<cache key> → 1: pass-through outputs by last use (only stats read it). */
export const PASSTHROUGH = 'p:';
/** g:<segment>:<cache key> → 1: the outputs of a segment, what compaction copies. */
const IN_SEGMENT = 'g:';
/** s:<segment> → SegmentCount */
export const SEGMENT = 's:';
/** → { version, entries } */
export const META = 'm:';
const TIME_DIGITS = 15;
const SEGMENT_DIGITS = 10;

/** The first key past every key that starts with `prefix` (prefixes end in ':', and ';' follows it). */
export function after(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The cache key and the time of a key under STORED or PASSTHROUGH. */
export function parseUseKey(prefix: string, key: string): { cacheKey: string; time: number } {
  return {
    cacheKey: key.slice(prefix.length + TIME_DIGITS + 1),
    time: Number(key.slice(prefix.length, prefix.length + TIME_DIGITS)),
  };
}

export function segmentCountKey(id: number): string {
  return SEGMENT + pad(id, SEGMENT_DIGITS);
}

export function inSegmentPrefix(id: number): string {
  return `${IN_SEGMENT}${pad(id, SEGMENT_DIGITS)}:`;
}

/** Whether a cache key fits in every key space of the store (keys that do not are not cached). */
export function fitsKey(key: string): boolean {
  return (key.length + 32) * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key) + 32 <= MAX_KEY_BYTES;
}

/**
 * What to write for rows changed from `original` (as stored) to `pending` (null: deleted): the last write of a key
 * wins (undefined: remove it), since a row used again within one millisecond removes and puts one key.
 */
export function indexWrites(
  pending: ReadonlyMap<string, CacheRow | null>,
  original: ReadonlyMap<string, CacheRow | null>,
): Map<string, unknown> {
  const writes = new Map<string, unknown>();
  for (const [key, row] of pending) {
    const old = original.get(key) ?? null;
    if (old) {
      writes.set(useKey(key, old), undefined);
      if (old[4] >= 0 && row?.[4] !== old[4]) writes.set(inSegmentPrefix(old[4]) + key, undefined);
    }
    if (row) {
      writes.set(ROW + key, row);
      writes.set(useKey(key, row), 1);
      if (row[4] >= 0 && old?.[4] !== row[4]) writes.set(inSegmentPrefix(row[4]) + key, 1);
    } else if (old) writes.set(ROW + key, undefined);
  }
  return writes;
}

function useKey(key: string, row: CacheRow): string {
  return `${row[4] >= 0 ? STORED : PASSTHROUGH}${pad(Math.max(0, Math.floor(row[2])), TIME_DIGITS)}:${key}`;
}

function pad(value: number, digits: number): string {
  return String(value).padStart(digits, '0');
}
