import { rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DigestCache } from '../digest/digest-cache.js';
import { OutputCache } from '../processing/output-cache.js';
import { outputCacheProblem } from '../processing/output-cache-health.js';
import type { FileStat } from '../scan/scanner.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { fillDisk, mountTmpfs, unmountTmpfs } from '../testing/tmpfs.js';
import { IdempotencyStore } from '../workspace/idempotency-store.js';
import { assertRoomFor } from './state-store.js';

// A real 4 MiB tmpfs (tests run as root here and in CI): LMDB writes through its own native calls, which no
// JavaScript-level injection can fail, so only a real full disk shows what a failed transaction does.
let mountPoint: string | undefined;
let mountError: string | undefined;
const base = makeTempDir('packer-store-full-');

beforeAll(() => {
  ({ mountPoint, error: mountError } = mountTmpfs(base, '4m', 'store test'));
});

afterAll(() => {
  unmountTmpfs(mountPoint);
});

const stat = (index: number): FileStat => ({ size: index, mtimeMs: 1, ino: index });
const digest = (index: number): string => index.toString(16).padStart(64, '0');
const output = { digest: digest(1), size: 1, metadata: {} };

/** An output cache in `dir` whose index holds one saved row, `first`. */
async function cacheWithOneRow(dir: string): Promise<void> {
  const first = OutputCache.open(dir);
  first.recordPassthrough('first', output);
  await first.save();
}

/** Records 20,000 rows, `many-<n>`, and saves them (~40k index writes, five transactions). */
async function saveManyRows(dir: string): Promise<void> {
  const cache = OutputCache.open(dir);
  for (let index = 0; index < 20_000; index++) cache.recordPassthrough(`many-${index}`, output);
  await cache.save();
}

describe('state stores on a full disk (real tmpfs)', () => {
  it('a failed transaction is a storage warning: rows and keys stay in memory, then go through once there is room', async () => {
    if (!mountPoint) return console.warn(`SKIPPED: ${mountError}`);
    const stateDir = path.join(mountPoint, 'project', '.packer');
    const digests = new DigestCache(stateDir);
    const keys = new IdempotencyStore(stateDir);
    digests.set('assets/first.png', stat(1), digest(1));
    expect(digests.save()).toBe(true);

    const filler = fillDisk(mountPoint);
    try {
      // More rows than the disk has pages for.
      for (let index = 2; index < 20_000; index++)
        digests.set(`assets/many/file-${index}.png`, stat(index), digest(index));
      expect(digests.save()).toBe(false);
      expect(digests.writeProblem).toMatchObject({
        store: 'digest-cache',
        errno: 'ENOSPC',
        path: path.join(stateDir, 'digests.lmdb'),
      });
      expect(digests.get('assets/many/file-19999.png', stat(19999))).toBe(digest(19999));
      keys.set('retry-1', 'hash', { big: 'x'.repeat(300_000) });
      expect(keys.writeProblem).toMatchObject({ store: 'idempotency', errno: 'ENOSPC', pending: 1 });
      expect(keys.get('retry-1')?.mutationHash).toBe('hash');
      // Another failed attempt changes nothing and throws nothing.
      expect(digests.save()).toBe(false);
      expect(keys.flush()).toBe(false);
    } finally {
      rmSync(filler);
    }

    expect(digests.save()).toBe(true);
    expect(keys.flush()).toBe(true);
    expect(digests.writeProblem).toBeUndefined();
    expect(keys.writeProblem).toBeUndefined();
    await digests.close();
    await keys.close();

    const reopened = new DigestCache(stateDir);
    const reopenedKeys = new IdempotencyStore(stateDir);
    expect(reopened.get('assets/many/file-19999.png', stat(19999))).toBe(digest(19999));
    expect(reopened.get('assets/first.png', stat(1))).toBe(digest(1));
    expect(reopenedKeys.get('retry-1')?.mutationHash).toBe('hash');
    await reopened.close();
    await reopenedKeys.close();
  });

  it('an output cache index that cannot be written is a storage warning; the build that saved it does not fail', async () => {
    if (!mountPoint) return console.warn(`SKIPPED: ${mountError}`);
    const stateDir = path.join(mountPoint, 'cache-project', '.packer');
    const dir = path.join(stateDir, 'cache');
    await cacheWithOneRow(dir);

    const filler = fillDisk(mountPoint);
    try {
      await saveManyRows(dir);
      expect(outputCacheProblem(stateDir)).toMatchObject({
        store: 'output-cache',
        errno: 'ENOSPC',
        path: path.join(dir, 'index.lmdb'),
      });
    } finally {
      rmSync(filler);
    }
    // The store is as it was before the failed save; the next save goes through and clears the warning.
    const next = OutputCache.open(dir);
    expect(next.lookup('first')).toBeDefined();
    expect(next.lookup('many-0')).toBeUndefined();
    next.recordPassthrough('after', output);
    await next.save();
    expect(outputCacheProblem(stateDir)).toBeUndefined();
  });

  it("a write is refused before LMDB sees it when the disk has no room for it (LMDB's failed-write path overflows a buffer)", async () => {
    if (!mountPoint) return console.warn(`SKIPPED: ${mountError}`);
    const stateDir = path.join(mountPoint, 'room-project', '.packer');
    const digests = new DigestCache(stateDir);
    digests.set('assets/first.png', stat(1), digest(1));
    expect(digests.save()).toBe(true);
    const file = path.join(stateDir, 'digests.lmdb');
    const filler = fillDisk(mountPoint);
    try {
      expect(() => assertRoomFor(file, 1)).toThrow(expect.objectContaining({ code: 'ENOSPC', path: file }));
      digests.set('assets/second.png', stat(2), digest(2));
      expect(digests.save()).toBe(false);
      // The refusal is ours (it says what was free and what was needed): LMDB was never asked to write.
      expect(digests.writeProblem).toMatchObject({ store: 'digest-cache', errno: 'ENOSPC', path: file });
      expect(JSON.stringify(digests.writeProblem)).toMatch(/bytes free, \d+ needed/);
    } finally {
      rmSync(filler);
    }
    expect(() => assertRoomFor(file, 1)).not.toThrow();
    expect(digests.save()).toBe(true);
    await digests.close();
  });
});

// Its own, larger tmpfs: a commit of several transactions needs room for one at a time (~3 MB each).
describe('an output cache index commit that fails part-way (real tmpfs)', () => {
  let bigMount: string | undefined;
  let bigError: string | undefined;
  const bigBase = makeTempDir('packer-store-split-');
  beforeAll(() => {
    ({ mountPoint: bigMount, error: bigError } = mountTmpfs(bigBase, '24m', 'split commit test'));
  });
  afterAll(() => {
    unmountTmpfs(bigMount);
  });

  it('is discarded whole on the next open, with a warning: no rows the counts do not know', async () => {
    if (!bigMount) return console.warn(`SKIPPED: ${bigError}`);
    const stateDir = path.join(bigMount, 'project', '.packer');
    const dir = path.join(stateDir, 'cache');
    await cacheWithOneRow(dir);

    // Room for the first transactions of a 20,000-row commit (~40k writes, five transactions), not for all of them.
    const filler = fillDisk(bigMount);
    truncateSync(filler, statSync(filler).size - 5 * 1024 * 1024);
    try {
      await saveManyRows(dir);
      expect(outputCacheProblem(stateDir)).toMatchObject({ store: 'output-cache', errno: 'ENOSPC' });
    } finally {
      rmSync(filler);
    }

    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const next = OutputCache.open(dir);
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('did not finish'), 'PackerStateWarning');
    warning.mockRestore();
    // Neither the rows from before nor those of the transactions that went in: the store is read as empty.
    expect(next.stats().entries).toBe(0);
    expect(next.lookup('first')).toBeUndefined();
    expect(next.lookup('many-0')).toBeUndefined();
    next.recordPassthrough('after', output);
    await next.save();
    expect(outputCacheProblem(stateDir)).toMatchObject({
      store: 'output-cache',
      message: expect.stringContaining('did not finish') as string,
    });

    const reopened = OutputCache.open(dir);
    expect(reopened.stats().entries).toBe(1);
    expect(reopened.lookup('after')).toBeDefined();
    expect(reopened.lookup('many-19999')).toBeUndefined();
    await reopened.close();
  });
});
