import { describe, expect, it } from 'vitest';
import type { CacheRow } from './output-cache-index.js';
import { indexChanges, PASSTHROUGH, ROW, storedPrefix } from './output-cache-keys.js';

// The index commit writes its changes as a stream, ordered without making every key first: the writes must be the
// very ones, in the very order, that sorting the key strings gives.

/** What the commit wrote before it was streamed: every key made, each key space sorted as strings. */
function sortedAsStrings(
  pending: ReadonlyMap<string, CacheRow | null>,
  original: ReadonlyMap<string, CacheRow | null>,
): [string, unknown][] {
  const use = (key: string, row: CacheRow): string =>
    `${row[4] >= 0 ? storedPrefix(row[4]) : PASSTHROUGH}${String(Math.max(0, Math.floor(row[2]))).padStart(15, '0')}:${key}`;
  const removed: string[] = [];
  const added: string[] = [];
  const rows: [string, unknown][] = [];
  for (const key of [...pending.keys()].sort()) {
    const row = pending.get(key) ?? null;
    const old = original.get(key) ?? null;
    const oldUse = old && use(key, old);
    const newUse = row && use(key, row);
    if (oldUse !== newUse) {
      if (oldUse) removed.push(oldUse);
      if (newUse) added.push(newUse);
    }
    if (row || old) rows.push([ROW + key, row ?? undefined]);
  }
  return [
    ...removed.sort().map((key): [string, unknown] => [key, undefined]),
    ...added.sort().map((key): [string, unknown] => [key, 1]),
    ...rows,
  ];
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('index commit writes', () => {
  it('are those of sorting every key as a string, in the same order (new, changed, moved, used, deleted rows)', () => {
    const next = random(11);
    const pending = new Map<string, CacheRow | null>();
    const original = new Map<string, CacheRow | null>();
    const times = [0, 999.7, 1_700_000_000_000, 1_700_000_000_000.4, 1_700_000_000_001, 1_700_000_050_000];
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const row = (): CacheRow => [
      Math.floor(next() * 1e9).toString(16),
      Math.floor(next() * 5000),
      pick(times),
      {},
      pick([-1, 1, 2, 9, 10, 11, 123]),
      Math.floor(next() * 1e6),
    ];
    for (let index = 0; index < 3_000; index++) {
      const key = Math.floor(next() * 2 ** 52).toString(16);
      const kind = Math.floor(next() * 5);
      if (kind === 0)
        pending.set(key, row()); // new
      else {
        const old = row();
        original.set(key, old);
        if (kind === 1)
          pending.set(key, row()); // moved or used again
        else if (kind === 2) pending.set(key, [...old.slice(0, 2), old[2] + 0.2, ...old.slice(3)] as CacheRow);
        else if (kind === 3)
          pending.set(key, null); // deleted
        else pending.set(key, old); // unchanged
      }
    }
    // A row never stored and deleted again, and a deleted row whose original read nothing.
    pending.set('ffff', null);
    original.set('ffff', null);
    pending.set('eeee', null);

    const writes = [...indexChanges(pending, original)];
    const expected = sortedAsStrings(pending, original);
    expect(writes.length).toBeGreaterThan(3_000);
    expect(writes).toEqual(expected);
  });
});
