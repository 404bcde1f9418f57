import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { DigestCache } from './digest-cache.js';
import { DIGEST_TEST_FILES, takeHashed as takeHashedBy } from '../testing/hash-counter.js';

// Count every file the packer hashes (see countingHasher).
const counter = vi.hoisted(() => ({ hashed: [] as string[] }));
vi.mock('./hash-files.js', async (importOriginal) =>
  (await import('../testing/hash-counter.js')).countingHasher(await importOriginal(), counter),
);

const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

const FILES = DIGEST_TEST_FILES;
const ALL = Object.keys(FILES).sort();

const takeHashed = (root: string): string[] => takeHashedBy(counter, root);

const opened: Workspace[] = [];
async function open(root: string): Promise<Workspace> {
  const ws = await Workspace.open(root);
  opened.push(ws);
  return ws;
}

async function registeredProject(): Promise<{ root: string; store: string }> {
  const root = makeTempProject(FILES);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  counter.hashed = [];
  return { root, store: path.join(root, '.packer/digests.lmdb') };
}

function expectDigests(ws: Workspace): void {
  for (const [relative, content] of Object.entries(FILES))
    expect(ws.state.byPath.get(relative)?.observation?.digest).toBe(sha256(content));
}

beforeEach(() => {
  counter.hashed = [];
});

afterEach(async () => {
  for (const ws of opened.splice(0)) await ws.close();
});

describe('digest cache migration from digests.json', () => {
  it('a project left by the JSON cache opens without hashing, moves the rows into the store and removes the file', async () => {
    const { root, store } = await registeredProject();
    // What the previous version left: digests.json with (size, mtime, inode, digest) rows, and no store.
    const rows = Object.fromEntries(
      Object.entries(FILES).map(([relative, content]) => {
        const stat = lstatSync(path.join(root, relative));
        return [relative, [stat.size, stat.mtimeMs, stat.ino, sha256(content)]];
      }),
    );
    rmSync(store, { force: true });
    rmSync(`${store}-lock`, { force: true });
    writeFileSync(path.join(root, '.packer/digests.json'), JSON.stringify({ version: 1, rows }));

    const migrated = await open(root);
    expect(takeHashed(root)).toEqual([]);
    expectDigests(migrated);
    expect(existsSync(path.join(root, '.packer/digests.json'))).toBe(false);
    await migrated.close();

    // The rows now live in the store: the next open hashes nothing either.
    expectDigests(await open(root));
    expect(takeHashed(root)).toEqual([]);
  });

  it('a corrupt digests.json is dropped: the files are hashed once, then cached', async () => {
    const { root, store } = await registeredProject();
    rmSync(store, { force: true });
    writeFileSync(path.join(root, '.packer/digests.json'), '{"version":1,"rows":{"assets/hero.png":[1,2,');
    await (await open(root)).close();
    expect(takeHashed(root)).toEqual(ALL);
    expect(existsSync(path.join(root, '.packer/digests.json'))).toBe(false);
    await open(root);
    expect(takeHashed(root)).toEqual([]);
  });
});

describe('a damaged digest store is a cache: discarded, reported, rebuilt; the open never fails', () => {
  const damages: [string, (store: string) => void][] = [
    // Without the header check, lmdb-js dies of SIGSEGV on this file.
    ['garbage over the whole file', (store) => writeFileSync(store, Buffer.alloc(statSync(store).size, 0x5a))],
    // Without the length check, reading it dies of SIGBUS (cut well past the slack for freed tail pages).
    ['a file cut in half', (store) => truncateSync(store, Math.floor(statSync(store).size / 2))],
    ['a file shorter than one page', (store) => writeFileSync(store, 'not lmdb')],
    // What a crash while the store was being read for the first time leaves behind.
    ['the marker of a reader that died', (store) => writeFileSync(`${store}.reading`, '')],
  ];

  it.each(damages)('%s', async (_name, damage) => {
    const { root, store } = await registeredProject();
    // Enough rows that the store spans a few hundred pages.
    const filler = new DigestCache(path.dirname(store));
    for (let index = 0; index < 20_000; index++)
      filler.set(`assets/gone/file-${index}.png`, { size: index, mtimeMs: 1, ino: index }, sha256(String(index)));
    await filler.close();
    damage(store);
    const ws = await open(root);
    expect(takeHashed(root)).toEqual(ALL);
    expectDigests(ws);
    expect(ws.storageWarnings()).toEqual([
      expect.objectContaining({
        store: 'digest-cache',
        path: store,
        message: expect.stringContaining('Discarded a damaged digest cache'),
      }),
    ]);
    await ws.close();
    expect(existsSync(`${store}.reading`)).toBe(false);

    // Rebuilt: the next open finds every digest and reports nothing.
    const next = await open(root);
    expect(takeHashed(root)).toEqual([]);
    expectDigests(next);
    expect(next.storageWarnings()).toEqual([]);
  });

  it('the same project opened twice in one process shares the store; closing both releases it for a third open', async () => {
    const { root, store } = await registeredProject();
    const first = await Workspace.open(root);
    const second = await Workspace.open(root);
    expect(takeHashed(root)).toEqual([]);
    expectDigests(second);
    await first.close();
    // The second handle still reads after the first let go.
    writeFileSync(path.join(root, 'assets/readme.txt'), 'hello again');
    await second.refresh();
    expect(takeHashed(root)).toEqual(['assets/readme.txt']);
    await second.close();
    expect(existsSync(`${store}.reading`)).toBe(false);
    const third = await open(root);
    expect(takeHashed(root)).toEqual([]);
    expect(third.state.byPath.get('assets/readme.txt')?.observation?.digest).toBe(sha256('hello again'));
    expect(readFileSync(path.join(root, 'assets/readme.txt'), 'utf8')).toBe('hello again');
  });
});
