import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { readProjectFiles, readRegistryFiles } from '../testing/project-state.js';

// Counts every flush a commit asks of the disk (fsync and fdatasync, files and folders alike), by what was flushed.
const flushes = vi.hoisted(() => ({ on: false, seen: [] as string[] }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const counted =
    (kind: string, original: (fd: number) => void) =>
    (fd: number): void => {
      if (flushes.on) flushes.seen.push(kind);
      original(fd);
    };
  const fsyncSync = counted('fsync', actual.fsyncSync);
  const fdatasyncSync = counted('fdatasync', actual.fdatasyncSync);
  return { ...actual, fsyncSync, fdatasyncSync, default: { ...actual, fsyncSync, fdatasyncSync } };
});

const { Workspace } = await import('../workspace/workspace.js');
const { SimulatedCrash } = await import('./commit-journal.js');
const { COMMITTED_MARK } = await import('./journal-file.js');

afterEach(() => {
  flushes.on = false;
  flushes.seen = [];
});

const FILES = {
  'assets/hero.png': 'png-bytes-hero',
  'assets/ui/button.png': 'png-bytes-button',
  'assets/readme.txt': 'hello',
};
const JOURNAL = '.packer/journal.json';

async function registered(shards: 1 | 16 = 16): Promise<string> {
  const root = makeTempProject(FILES, { ...TEST_CONFIG, registry: { shards } });
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  return root;
}

/** The pending journal a crash right after the registry write leaves (the step before the commit point). */
async function pendingJournal(root: string): Promise<string> {
  const ws = await Workspace.open(root, {
    commitHook: (point) => {
      if (point === 'registry-written') throw new SimulatedCrash(point);
    },
  });
  await expect(ws.apply({ type: 'update', target: 'assets/hero.png', addTags: ['x'] })).rejects.toBeInstanceOf(
    SimulatedCrash,
  );
  return readFileSync(path.join(root, JOURNAL), 'utf8');
}

async function tagsAfterOpen(root: string): Promise<{ tags: string[]; codes: string[] }> {
  const ws = await Workspace.open(root);
  const hero = ws.snapshot.assets.find((asset) => asset.path === 'assets/hero.png')!;
  const codes = ws.snapshot.diagnostics.map((item) => item.code);
  await ws.close();
  return { tags: [...hero.tags], codes };
}

describe('what a one-asset commit flushes', () => {
  it('five flushes: journal and its folder, shard and its folder, the committed mark (was nine)', async () => {
    const root = await registered();
    const ws = await Workspace.open(root);
    flushes.on = true;
    await ws.apply({ type: 'update', target: 'assets/hero.png', addTags: ['x'] });
    flushes.on = false;
    // Before: + a second whole journal for the mark (2), the journal's removal (1), `.packer/revision` (2).
    expect(flushes.seen).toEqual(['fsync', 'fsync', 'fsync', 'fsync', 'fdatasync']);
    expect(existsSync(path.join(root, JOURNAL))).toBe(false);
    // The revision a restart must never hand out again is on disk, written in place.
    expect(Number(readFileSync(path.join(root, '.packer/revision'), 'utf8'))).toBe(ws.snapshot.revision);
    await ws.close();
    expect((await tagsAfterOpen(root)).tags).toEqual(['x']);
  });

  it('a symlink at .packer/revision is not followed: the file it points at is left alone', async () => {
    const root = await registered();
    const outside = path.join(makeTempDir('revision-target-'), 'precious.txt');
    writeFileSync(outside, 'keep me');
    const revision = path.join(root, '.packer/revision');
    const { rmSync } = await import('node:fs');
    rmSync(revision, { force: true });
    symlinkSync(outside, revision);
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'update', target: 'assets/hero.png', addTags: ['x'] });
    expect(readFileSync(outside, 'utf8')).toBe('keep me');
    expect(ws.storageWarnings().map((warning) => warning.store)).toContain('revision');
    await ws.close();
  });
});

describe('the committed mark appended to the journal', () => {
  it('a whole mark rolls the commit forward at the next open', async () => {
    const root = await registered();
    const journal = await pendingJournal(root);
    expect(journal.endsWith('\n')).toBe(true);
    writeFileSync(path.join(root, JOURNAL), journal + COMMITTED_MARK);
    const { tags, codes } = await tagsAfterOpen(root);
    expect(tags).toEqual(['x']);
    expect(codes).not.toContain('INVALID_JOURNAL');
    expect(existsSync(path.join(root, JOURNAL))).toBe(false);
  });

  it.each([
    ['a prefix of it (the append was cut short)', COMMITTED_MARK.slice(0, 9)],
    ['one byte of it', COMMITTED_MARK.slice(0, 1)],
    ['its length in zero bytes (size flushed, data not)', '\0'.repeat(COMMITTED_MARK.length)],
    ['part written, the rest still zero', COMMITTED_MARK.slice(0, 5) + '\0'.repeat(COMMITTED_MARK.length - 5)],
  ])('a torn mark, %s, was never flushed: the commit rolls back', async (_name, torn) => {
    const root = await registered();
    const before = readRegistryFiles(root);
    const files = readProjectFiles(root);
    const journal = await pendingJournal(root);
    writeFileSync(path.join(root, JOURNAL), journal + torn);
    const { tags, codes } = await tagsAfterOpen(root);
    expect(tags).toEqual([]);
    expect(codes).not.toContain('INVALID_JOURNAL');
    expect(readRegistryFiles(root)).toEqual(before);
    expect(readProjectFiles(root)).toEqual(files);
    expect(existsSync(path.join(root, JOURNAL))).toBe(false);
  });

  it('anything else after the journal is not a mark: INVALID_JOURNAL, nothing run', async () => {
    const root = await registered();
    const journal = await pendingJournal(root);
    const registry = readRegistryFiles(root);
    writeFileSync(path.join(root, JOURNAL), journal + '{"state":"rolled-back"}\n');
    const { codes } = await tagsAfterOpen(root);
    expect(codes).toContain('INVALID_JOURNAL');
    expect(readRegistryFiles(root)).toEqual(registry);
    expect(existsSync(path.join(root, JOURNAL))).toBe(true);
  });

  it('the single-file layout commits through the same mark', async () => {
    const root = await registered(1);
    const ws = await Workspace.open(root);
    flushes.on = true;
    await ws.apply({ type: 'update', target: 'assets/readme.txt', addTags: ['y'] });
    flushes.on = false;
    expect(flushes.seen).toEqual(['fsync', 'fsync', 'fsync', 'fsync', 'fdatasync']);
    await ws.close();
  });
});
