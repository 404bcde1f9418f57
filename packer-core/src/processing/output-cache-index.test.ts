import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { outputCacheStats, pruneOutputCache } from './cache-maintenance.js';
import { OutputCache, type CachedOutput } from './output-cache.js';
import { outputCacheProblem } from './output-cache-health.js';
import { indexAccess } from './output-cache-index.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh project state folder; the cache is its `cache/`. */
function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-output-cache-index-'));
  dirs.push(dir);
  return dir;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const keyOf = (index: number): string => sha256(Buffer.from(`key ${index}`));
const outputOf = (key: string): Buffer => Buffer.from(`output of ${key}`);
const bytesOf = (output: CachedOutput): Buffer =>
  readFileSync(output.stored!.file).subarray(output.stored!.offset, output.stored!.offset + output.size);
const segments = (dir: string): string[] => readdirSync(path.join(dir, 'segments')).sort();

/** One build storing `keys` (each at its own millisecond from `time`, if given), saved and closed. */
async function build(dir: string, keys: readonly string[], time?: number): Promise<void> {
  let now = time ?? 0;
  if (time !== undefined) vi.spyOn(Date, 'now').mockImplementation(() => now);
  const cache = OutputCache.open(dir);
  for (const key of keys) {
    now++;
    await cache.storeBytes(key, outputOf(key), { key }, sha256(outputOf(key)));
  }
  await cache.save();
  await cache.close();
  vi.restoreAllMocks();
}

/** Which of `keys` the cache knows (each lookup marks a key used, as a build does; nothing is saved). */
async function known(dir: string, keys: readonly string[]): Promise<string[]> {
  const cache = OutputCache.inspect(dir);
  try {
    return keys.filter((key) => {
      const output = cache.lookup(key);
      return output !== undefined && bytesOf(output).equals(outputOf(key));
    });
  } finally {
    await cache.close();
  }
}

describe('OutputCache index in LMDB', () => {
  it('at 100,000 rows, opening, a hit, a miss, one stored output and a save with eviction touch a handful of keys', async () => {
    const dir = path.join(stateDir(), 'cache');
    const keys = Array.from({ length: 100_000 }, (_, index) => keyOf(index));
    await build(dir, keys, 1_000_000);
    const bytesPerOutput = outputOf(keys[0]!).length;

    indexAccess.reads = 0;
    indexAccess.writes = 0;
    // A cap one output short: the save evicts the least recently used output, and only it.
    const cache = OutputCache.open(dir, { maxBytes: 100_000 * bytesPerOutput });
    expect(cache.lookup(keys[0]!)).toBeDefined();
    expect(cache.lookup(keyOf(-1))).toBeUndefined();
    const fresh = keyOf(100_000);
    await cache.storeBytes(fresh, outputOf(fresh), {}, sha256(outputOf(fresh)));
    expect(cache.stats()).toMatchObject({ entries: 100_001, liveBytes: 100_001 * bytesPerOutput });
    await cache.save();
    await cache.close();
    // Open (count + segment table), 3 rows, stats, the LRU head: never a pass over the rows.
    expect(indexAccess.reads).toBeLessThan(30);
    expect(indexAccess.writes).toBeLessThan(20);

    // keys[0] was used, so keys[1] was the least recently used and went.
    expect(await known(dir, [keys[0]!, keys[1]!, keys[2]!, fresh])).toEqual([keys[0]!, keys[2]!, fresh]);
    expect(outputCacheStats(path.dirname(dir)).entries).toBe(100_000);
  }, 120_000);

  it('prune evicts least recently used first across segments, and prune to 0 empties the cache', async () => {
    const state = stateDir();
    const dir = path.join(state, 'cache');
    const keys = ['a', 'b', 'c', 'd', 'e'].map((name) => `key-${name}`);
    await build(dir, keys, 1_000_000);
    // A second segment whose outputs were last used before all of the first's.
    await build(dir, ['key-f', 'key-g'], 900_000);
    // key-a used again later: it is now the most recent.
    vi.spyOn(Date, 'now').mockReturnValue(2_000_000);
    const using = OutputCache.open(dir);
    expect(using.lookup('key-a')).toBeDefined();
    await using.save();
    vi.restoreAllMocks();

    const size = outputOf('key-a').length;
    const before = outputCacheStats(state);
    expect(before).toMatchObject({ entries: 7, liveBytes: 7 * size, segments: 2 });
    expect(before.oldestUse).toBe(new Date(900_001).toISOString());
    expect(before.newestUse).toBe(new Date(2_000_000).toISOString());
    indexAccess.reads = 0;
    const pruned = await pruneOutputCache(state, 3 * size);
    // Least recently used first: f, g (segment 2), then b, c (segment 1); key-a was used last.
    expect(pruned.removedEntries).toBe(4);
    expect(indexAccess.reads).toBeLessThan(30);
    expect(await known(dir, [...keys, 'key-f', 'key-g'])).toEqual(['key-a', 'key-d', 'key-e']);
    expect(segments(dir)).toEqual(['1.seg']);

    const all = await pruneOutputCache(state);
    expect(all).toMatchObject({ removedEntries: 3, stats: { entries: 0, liveBytes: 0, diskBytes: 0, segments: 0 } });
    expect(segments(dir)).toEqual([]);
    expect(await known(dir, keys)).toEqual([]);
  });

  it('compacts a segment under half live into the next build, reading only its own rows', async () => {
    const dir = path.join(stateDir(), 'cache');
    const first = Array.from({ length: 10 }, (_, index) => `first-${index}`);
    const others = Array.from({ length: 1_000 }, (_, index) => `other-${index}`);
    await build(dir, first);
    await build(dir, others);
    expect(segments(dir)).toEqual(['1.seg', '2.seg']);
    const cache = OutputCache.open(dir);
    for (const key of first.slice(0, 6)) cache.evict(key);
    indexAccess.reads = 0;
    await cache.save();
    // Segment 1 held 4 live outputs of 10: they moved to segment 3, and segment 1 is gone.
    expect(segments(dir)).toEqual(['2.seg', '3.seg']);
    expect(indexAccess.reads).toBeLessThan(40);
    expect(await known(dir, first)).toEqual(first.slice(6));
    expect((await known(dir, others)).length).toBe(1_000);
  });

  it('moves an index.json and its log from an earlier version into the store once, then removes them', async () => {
    const dir = path.join(stateDir(), 'cache');
    mkdirSync(path.join(dir, 'segments'), { recursive: true });
    const [a, b, c] = ['legacy-a', 'legacy-b', 'legacy-c'].map((key) => outputOf(key));
    writeFileSync(path.join(dir, 'segments', '4.seg'), Buffer.concat([a!, b!, c!]));
    const row = (bytes: Buffer, offset: number): unknown[] => [sha256(bytes), bytes.length, 5, {}, 4, offset];
    writeFileSync(
      path.join(dir, 'index.json'),
      JSON.stringify({ version: 2, generation: 3, rows: { 'legacy-a': row(a!, 0), 'legacy-b': row(b!, a!.length) } }),
    );
    // The log of this generation adds legacy-c and drops legacy-b; a torn last line ends it.
    writeFileSync(
      path.join(dir, 'index-3.log'),
      `${JSON.stringify(['legacy-c', row(c!, a!.length + b!.length)])}\n${JSON.stringify(['legacy-b', null])}\n["torn`,
    );
    await OutputCache.open(dir).close();
    expect(existsSync(path.join(dir, 'index.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'index-3.log'))).toBe(false);
    expect(await known(dir, ['legacy-a', 'legacy-b', 'legacy-c'])).toEqual(['legacy-a', 'legacy-c']);
    expect(segments(dir)).toEqual(['4.seg']);
  });

  it('discards a damaged index with a storage warning, and a build goes on with a fresh one', async () => {
    const state = stateDir();
    const dir = path.join(state, 'cache');
    await build(dir, ['old-1', 'old-2']);
    const file = path.join(dir, 'index.lmdb');
    writeFileSync(file, Buffer.alloc(readFileSync(file).length, 0x5a));
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    await build(dir, ['new-1']);
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('Discarded'), 'PackerStateWarning');
    expect(outputCacheProblem(state)).toMatchObject({
      store: 'output-cache',
      path: expect.stringContaining('index.lmdb') as string,
      message: expect.stringContaining('Discarded a damaged output cache index') as string,
    });
    expect(await known(dir, ['old-1', 'old-2', 'new-1'])).toEqual(['new-1']);
    // The old segment, which nothing indexes any more, is gone.
    expect(segments(dir)).toEqual(['2.seg']);
  });

  it('forgets the outputs of a segment file deleted from under it', async () => {
    const dir = path.join(stateDir(), 'cache');
    await build(dir, ['kept']);
    await build(dir, ['lost-1', 'lost-2']);
    rmSync(path.join(dir, 'segments', '2.seg'));
    await build(dir, ['next']);
    expect(await known(dir, ['kept', 'lost-1', 'lost-2', 'next'])).toEqual(['kept', 'next']);
    expect(outputCacheStats(path.dirname(dir))).toMatchObject({ entries: 2, segments: 2 });
  });
});
