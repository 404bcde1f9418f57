import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dirs.js';
import { IdempotencyStore } from './idempotency-store.js';

const stores: IdempotencyStore[] = [];
function openStore(stateDir: string, maxKeys?: number): IdempotencyStore {
  const store = new IdempotencyStore(stateDir, maxKeys);
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

/** Reads one key from the store file in another process, the way a restarted daemon would find it. */
function readElsewhere(file: string, key: string): unknown {
  const lmdb = createRequire(import.meta.url).resolve('lmdb');
  const script = `const { open } = require(${JSON.stringify(lmdb)});
const db = open({ path: ${JSON.stringify(file)}, noSubdir: true, encoding: 'json', readOnly: true });
process.stdout.write(JSON.stringify(db.get(${JSON.stringify('k:' + key)}) ?? null));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('IdempotencyStore', () => {
  it('a recorded result is in the file when set returns, and a new store (a restart) replays it', async () => {
    const stateDir = path.join(makeTempDir('packer-idem-'), '.packer');
    const store = openStore(stateDir);
    store.set('studio-7f3a', 'hash-1', { revisionAfter: 3 });
    // Another process sees the committed key while this one still holds the store open.
    expect(readElsewhere(store.file, 'studio-7f3a')).toMatchObject({
      mutationHash: 'hash-1',
      result: { revisionAfter: 3 },
    });
    await store.close();

    const restarted = openStore(stateDir);
    expect(restarted.get('studio-7f3a')).toMatchObject({ mutationHash: 'hash-1', result: { revisionAfter: 3 } });
    expect(restarted.get('never-used')).toBeUndefined();
    expect(restarted.writeProblem).toBeUndefined();
  });

  it('keeps the newest keys up to its cap; setting a key again does not count it twice', async () => {
    const stateDir = path.join(makeTempDir('packer-idem-'), '.packer');
    const store = openStore(stateDir, 3);
    for (const key of ['a', 'b', 'c']) store.set(key, `hash-${key}`, key);
    store.set('a', 'hash-a', 'a again');
    store.set('d', 'hash-d', 'd');
    // 'b' is now the oldest: it falls off; 'a' was refreshed and stays.
    expect(['a', 'b', 'c', 'd'].map((key) => store.get(key)?.result ?? null)).toEqual(['a again', null, 'c', 'd']);
    await store.close();
    const reopened = openStore(stateDir, 3);
    expect(['a', 'b', 'c', 'd'].map((key) => reopened.get(key)?.result ?? null)).toEqual(['a again', null, 'c', 'd']);
  });

  it('imports idempotency.json left by the previous version once, then removes it', async () => {
    const stateDir = path.join(makeTempDir('packer-idem-'), '.packer');
    const first = openStore(stateDir);
    await first.close();
    const legacy = path.join(stateDir, 'idempotency.json');
    writeFileSync(
      legacy,
      JSON.stringify({ k1: { mutationHash: 'h1', result: { ok: 1 }, time: '2026-01-01T00:00:00.000Z' } }),
    );
    const store = openStore(stateDir);
    expect(existsSync(legacy)).toBe(false);
    expect(store.get('k1')).toEqual({ mutationHash: 'h1', result: { ok: 1 }, time: '2026-01-01T00:00:00.000Z' });
    await store.close();
    expect(openStore(stateDir).get('k1')?.mutationHash).toBe('h1');
  });

  it('a store file that is not LMDB is replaced, not trusted: the open works and writes go through', async () => {
    const stateDir = path.join(makeTempDir('packer-idem-'), '.packer');
    await openStore(stateDir).close();
    writeFileSync(path.join(stateDir, 'idempotency.lmdb'), Buffer.alloc(8192, 0x41));
    const store = openStore(stateDir);
    expect(store.get('anything')).toBeUndefined();
    expect(store.writeProblem).toMatchObject({
      store: 'idempotency',
      message: expect.stringContaining('Discarded a damaged idempotency store'),
    });
    store.set('k', 'h', 1);
    expect(readElsewhere(store.file, 'k')).toMatchObject({ result: 1 });
  });
});
