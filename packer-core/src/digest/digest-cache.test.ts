import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scanWorkspace, type FileStat } from '../scan/scanner.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { ProjectConfig } from '../contract/config-schema.js';
import { ROWS_PER_TRANSACTION } from '../state-store/state-store.js';
import { DigestCache } from './digest-cache.js';
import { hashFiles } from './hash-files.js';
import { DIGEST_TEST_FILES, takeHashed as takeHashedBy } from '../testing/hash-counter.js';

// Count every file the packer hashes (see countingHasher).
const counter = vi.hoisted(() => ({ hashed: [] as string[] }));
vi.mock('./hash-files.js', async (importOriginal) =>
  (await import('../testing/hash-counter.js')).countingHasher(await importOriginal(), counter),
);

const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

const FILES = DIGEST_TEST_FILES;

const takeHashed = (root: string): string[] => takeHashedBy(counter, root);

async function registeredProject(): Promise<string> {
  const root = makeTempProject(FILES);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  counter.hashed = [];
  return root;
}

const opened: Workspace[] = [];
const track = (ws: Workspace): Workspace => (opened.push(ws), ws);

beforeEach(() => {
  counter.hashed = [];
});

afterEach(async () => {
  for (const ws of opened.splice(0)) await ws.close();
});

describe('digest cache across workspace opens', () => {
  it('a cold open hashes every registered file once; a warm re-open hashes nothing and writes nothing', async () => {
    const root = await registeredProject();
    const store = path.join(root, '.packer/digests.lmdb');
    const cold = makeTempDir('packer-cold-');
    // Same project without runtime state: everything registered is hashed.
    for (const [relative, content] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(cold, relative)), { recursive: true });
      writeFileSync(path.join(cold, relative), content);
    }
    writeFileSync(path.join(cold, 'packer.json'), readFileSync(path.join(root, 'packer.json')));
    writeFileSync(path.join(cold, 'packer.registry.json'), readFileSync(path.join(root, 'packer.registry.json')));
    await (await Workspace.open(cold)).close();
    expect(takeHashed(cold)).toEqual(Object.keys(FILES).sort());

    const before = statSync(store);
    const bytes = readFileSync(store);
    const warm = await Workspace.open(root);
    expect(takeHashed(root)).toEqual([]);
    for (const [relative, content] of Object.entries(FILES)) {
      expect(warm.state.byPath.get(relative)?.observation?.digest).toBe(sha256(content));
    }
    await warm.close();
    // No transaction ran: the store's bytes and mtime are as the first session left them.
    expect(statSync(store).mtimeMs).toBe(before.mtimeMs);
    expect(readFileSync(store).equals(bytes)).toBe(true);
    expect(existsSync(path.join(root, '.packer/digests.json'))).toBe(false);
  });

  it('changing one file re-hashes that file only, and its digest follows the content', async () => {
    const root = await registeredProject();
    writeFileSync(path.join(root, 'assets/readme.txt'), 'hello, changed');
    const ws = track(await Workspace.open(root));
    expect(takeHashed(root)).toEqual(['assets/readme.txt']);
    expect(ws.state.byPath.get('assets/readme.txt')?.observation?.digest).toBe(sha256('hello, changed'));
    expect(ws.state.byPath.get('assets/hero.png')?.observation?.digest).toBe(sha256(FILES['assets/hero.png']));
  });

  it('a touched mtime with the same content re-hashes that file only', async () => {
    const root = await registeredProject();
    const file = path.join(root, 'assets/hero.png');
    const stat = statSync(file);
    utimesSync(file, stat.atime, new Date(stat.mtimeMs + 5_000));
    const ws = track(await Workspace.open(root));
    expect(takeHashed(root)).toEqual(['assets/hero.png']);
    expect(ws.state.byPath.get('assets/hero.png')?.observation?.digest).toBe(sha256(FILES['assets/hero.png']));
  });

  it('a live refresh re-hashes only what changed', async () => {
    const root = await registeredProject();
    const ws = track(await Workspace.open(root));
    takeHashed(root);
    writeFileSync(path.join(root, 'assets/levels/one.json'), '{"a":2,"b":3}');
    expect((await ws.refresh()).changed).toBe(true);
    expect(takeHashed(root)).toEqual(['assets/levels/one.json']);
    expect((await ws.refresh()).changed).toBe(false);
    expect(takeHashed(root)).toEqual([]);
    expect(ws.state.byPath.get('assets/levels/one.json')?.observation?.digest).toBe(sha256('{"a":2,"b":3}'));
  });
});

describe('DigestCache', () => {
  const config = ProjectConfig.parse(TEST_CONFIG);

  it('ensure hashes only uncached or changed files, and the rows survive a reload', async () => {
    const root = makeTempProject(FILES);
    const stateDir = path.join(root, '.packer');
    const cache = new DigestCache(stateDir);
    const files = scanWorkspace(root, config).files;
    expect(await cache.ensure(root, files)).toBe(4);
    expect(await cache.ensure(root, files)).toBe(0);
    await cache.close();

    const reloaded = new DigestCache(stateDir);
    expect(await reloaded.ensure(root, files)).toBe(0);
    for (const [relative, stat] of files)
      expect(reloaded.get(relative, stat)).toBe(sha256(readFileSync(path.join(root, relative))));

    writeFileSync(path.join(root, 'assets/ui/button.png'), 'a different, longer content');
    const rescanned = scanWorkspace(root, config).files;
    expect(reloaded.get('assets/ui/button.png', rescanned.get('assets/ui/button.png')!)).toBeUndefined();
    expect(await reloaded.ensure(root, rescanned)).toBe(1);
    expect(reloaded.get('assets/ui/button.png', rescanned.get('assets/ui/button.png')!)).toBe(
      sha256('a different, longer content'),
    );
    // The old digest of a vanished path stays known (outside-move detection) until pruned.
    expect(reloaded.lastKnown('assets/hero.png')?.digest).toBe(sha256(FILES['assets/hero.png']));
    reloaded.prune((relative) => relative !== 'assets/hero.png');
    expect(reloaded.lastKnown('assets/hero.png')).toBeUndefined();
    await reloaded.close();
    const third = new DigestCache(stateDir);
    expect(third.lastKnown('assets/hero.png')).toBeUndefined();
    expect(third.lastKnown('assets/readme.txt')?.digest).toBe(sha256(FILES['assets/readme.txt']));
    await third.close();
  });

  it('an open drops the rows of paths neither registered nor on disk, and keeps the others', async () => {
    const root = await registeredProject();
    const stateDir = path.join(root, '.packer');
    const stale = new DigestCache(stateDir);
    stale.set('assets/gone.png', { size: 1, mtimeMs: 1, ino: 1 }, sha256('gone'));
    await stale.close();
    await (await Workspace.open(root)).close();
    const after = new DigestCache(stateDir);
    expect(after.lastKnown('assets/gone.png')).toBeUndefined();
    expect(after.lastKnown('assets/hero.png')?.digest).toBe(sha256(FILES['assets/hero.png']));
    await after.close();
  });

  it('a save of more rows than one store transaction takes writes them all, and drops go through with them', async () => {
    const stateDir = path.join(makeTempDir('packer-digest-rows-'), '.packer');
    const count = ROWS_PER_TRANSACTION * 2 + 17;
    // Set in reverse path order: the store is written in key order whatever order the rows came in.
    const rows = Array.from({ length: count }, (_, index) => `assets/f${String(count - index).padStart(6, '0')}.bin`);
    const cache = new DigestCache(stateDir);
    rows.forEach((relative, index) =>
      cache.set(relative, { size: index, mtimeMs: index, ino: index }, sha256(relative)),
    );
    expect(cache.save()).toBe(true);
    await cache.close();

    const reloaded = new DigestCache(stateDir);
    rows.forEach((relative, index) =>
      expect(reloaded.get(relative, { size: index, mtimeMs: index, ino: index })).toBe(sha256(relative)),
    );
    reloaded.prune((relative) => relative !== rows[0] && relative !== rows[count - 1]);
    expect(reloaded.save()).toBe(true);
    await reloaded.close();
    const third = new DigestCache(stateDir);
    expect(third.lastKnown(rows[0]!)).toBeUndefined();
    expect(third.lastKnown(rows[count - 1]!)).toBeUndefined();
    expect(third.lastKnown(rows[1]!)?.digest).toBe(sha256(rows[1]!));
    await third.close();
  });

  it('a save in slices lets the event loop turn between transactions; a save and changes made meanwhile lose nothing', async () => {
    const stateDir = path.join(makeTempDir('packer-digest-slices-'), '.packer');
    const count = ROWS_PER_TRANSACTION * 3;
    const rows = Array.from({ length: count }, (_, index) => `assets/f${String(index).padStart(6, '0')}.bin`);
    const statOf = (index: number): FileStat => ({ size: index, mtimeMs: index, ino: index });
    const cache = new DigestCache(stateDir);
    rows.forEach((relative, index) => cache.set(relative, statOf(index), sha256(relative)));
    const last = count - 1;
    let turns = 0;
    const during = new Promise<void>((resolve) =>
      setImmediate(() => {
        turns++;
        // A row of a later transaction changes, then a timer's save writes everything still pending, then another
        // row changes again: the sliced save must neither drop what that save wrote nor miss the last change.
        cache.set(rows[last]!, statOf(last), sha256('changed'));
        expect(cache.save()).toBe(true);
        cache.set(rows[last - 1]!, statOf(last - 1), sha256('changed again'));
        resolve();
      }),
    );
    expect(await cache.saveInSlices(0)).toBe(true);
    await during;
    expect(turns).toBe(1);
    await cache.close();

    const reloaded = new DigestCache(stateDir);
    rows.forEach((relative, index) => {
      const expected = index === last ? 'changed' : index === last - 1 ? 'changed again' : relative;
      expect(reloaded.get(relative, statOf(index))).toBe(sha256(expected));
    });
    await reloaded.close();
  });

  it('a path too long for a store key is cached in memory only', async () => {
    const root = makeTempProject(FILES);
    const cache = new DigestCache(path.join(root, '.packer'));
    const long = 'assets/' + 'deep/'.repeat(450) + 'file.txt';
    const stat = { size: 3, mtimeMs: 1, ino: 2 } as FileStat;
    cache.set(long, stat, sha256('abc'));
    expect(cache.save()).toBe(true);
    expect(cache.get(long, stat)).toBe(sha256('abc'));
    await cache.close();
  });
});

describe('hashFiles', () => {
  it('over more than 64 files (the worker pool) equals sha256 computed directly, in input order', async () => {
    const dir = makeTempDir('packer-hash-');
    const files: { absolute: string; size: number; expected: string | null }[] = [];
    for (let index = 0; index < 300; index++) {
      // Varied sizes, including empty files and one larger than the 1 MiB read buffer.
      const content =
        index === 7 ? Buffer.alloc((1 << 20) + 12345, index) : Buffer.from(`file ${index} `.repeat(index % 17));
      const absolute = path.join(dir, `f${index}.bin`);
      writeFileSync(absolute, content);
      files.push({ absolute, size: content.length, expected: sha256(content) });
    }
    files.splice(150, 0, { absolute: path.join(dir, 'missing.bin'), size: 10, expected: null });
    const digests = await hashFiles(files);
    expect(digests).toEqual(files.map((file) => file.expected));
  });

  it('a small job (in-process) gives the same digests', async () => {
    const dir = makeTempDir('packer-hash-');
    const contents = ['', 'a', 'hello world'];
    const files = contents.map((content, index) => {
      const absolute = path.join(dir, `s${index}`);
      writeFileSync(absolute, content);
      return { absolute, size: content.length };
    });
    expect(await hashFiles(files)).toEqual(contents.map((content) => sha256(content)));
  });
});
