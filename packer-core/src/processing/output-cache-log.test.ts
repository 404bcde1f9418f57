import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputCache } from './output-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function cacheDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-output-cache-log-'));
  dirs.push(dir);
  return path.join(dir, 'cache');
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function store(dir: string, keys: readonly string[]): Promise<void> {
  const cache = OutputCache.open(dir);
  for (const key of keys) {
    const bytes = Buffer.from(`output of ${key}`);
    await cache.storeBytes(key, bytes, { key }, sha256(bytes));
  }
  await cache.save();
}

const known = (dir: string, keys: readonly string[]): string[] => {
  const cache = OutputCache.inspect(dir);
  return keys.filter((key) => cache.lookup(key) !== undefined);
};
const indexStamp = (dir: string): [number, number] => {
  const stats = statSync(path.join(dir, 'index.json'));
  return [stats.ino, stats.mtimeMs];
};
const logs = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.log'));

describe('OutputCache index', () => {
  it('appends what a small build changed to a log instead of rewriting the whole index, and reads it back', async () => {
    const dir = cacheDir();
    const many = Array.from({ length: 40 }, (_, index) => `key-${index}`);
    await store(dir, many);
    const before = indexStamp(dir);
    expect(logs(dir)).toEqual([]);
    await store(dir, ['one-more']);
    expect(indexStamp(dir)).toEqual(before);
    expect(logs(dir)).toHaveLength(1);
    expect(known(dir, [...many, 'one-more'])).toEqual([...many, 'one-more']);
    // A prune rewrites the index whole, and the log of the old index is gone.
    const cache = OutputCache.open(dir);
    cache.prune(0);
    await cache.save();
    expect(known(dir, [...many, 'one-more'])).toEqual([]);
    expect(logs(dir)).toEqual([]);
  });

  it('ignores a torn last line of the log, and the log of an older index', async () => {
    const dir = cacheDir();
    await store(
      dir,
      Array.from({ length: 40 }, (_, index) => `key-${index}`),
    );
    await store(dir, ['logged']);
    const [log] = logs(dir);
    appendFileSync(path.join(dir, log!), '["torn", ["ab');
    expect(known(dir, ['key-0', 'logged', 'torn'])).toEqual(['key-0', 'logged']);
    // Many changes at once: the whole index is written under a new generation; the old log no longer applies.
    await store(
      dir,
      Array.from({ length: 30 }, (_, index) => `new-${index}`),
    );
    expect(existsSync(path.join(dir, log!))).toBe(false);
    appendFileSync(path.join(dir, log!), `${JSON.stringify(['stale', ['0'.repeat(64), 1, 0, {}, -1, 0]])}\n`);
    expect(known(dir, ['key-0', 'logged', 'new-0', 'stale'])).toEqual(['key-0', 'logged', 'new-0']);
    // Opening for a build removes the stale log.
    OutputCache.open(dir);
    expect(existsSync(path.join(dir, log!))).toBe(false);
  });
});
