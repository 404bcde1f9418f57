import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject } from '../testing/temp-project.js';

// An injected full disk: while `disk.full`, every atomic or in-place write (how `.packer/revision` is written) fails
// with ENOSPC.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('../fs/atomic-write.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../fs/atomic-write.js')>();
  return {
    ...actual,
    writeFileAtomic: (target: string, data: string | Uint8Array) => {
      if (disk.full)
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${target}'`), {
          code: 'ENOSPC',
          path: target,
        });
      actual.writeFileAtomic(target, data);
    },
    writeFileInPlace: (target: string, data: string) => {
      if (disk.full)
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${target}'`), {
          code: 'ENOSPC',
          path: target,
        });
      actual.writeFileInPlace(target, data);
    },
  };
});

const { RevisionCounter } = await import('./revision-counter.js');
const { Workspace } = await import('./workspace.js');

afterEach(() => {
  disk.full = false;
});

const stored = (dir: string): number => Number(readFileSync(path.join(dir, 'revision'), 'utf8'));

describe('revision counter on a full disk', () => {
  it('keeps handing out increasing revisions, reports the lagging file, and writes the newest once the disk takes it', () => {
    const dir = makeTempDir('packer-revision-');
    const counter = new RevisionCounter(dir, () => 1_000);
    const first = counter.next();
    expect(stored(dir)).toBe(first);

    disk.full = true;
    const held = [counter.next(), counter.next(), counter.next()];
    expect(held).toEqual([first + 1, first + 2, first + 3]);
    expect(stored(dir)).toBe(first);
    expect(counter.writeProblem).toMatchObject({
      store: 'revision',
      path: path.join(dir, 'revision'),
      errno: 'ENOSPC',
    });
    expect(counter.flush()).toBe(false);

    disk.full = false;
    expect(counter.flush()).toBe(true);
    expect(stored(dir)).toBe(first + 3);
    expect(counter.writeProblem).toBeUndefined();
  });

  it('never repeats a revision after a restart that finds the stored value lagging (the open reseeds from the clock)', () => {
    const dir = makeTempDir('packer-revision-');
    let clock = 5_000; // ms
    const before = new RevisionCounter(dir, () => clock);
    before.next();
    disk.full = true;
    const handedOut: number[] = [];
    for (let index = 0; index < 50; index++) handedOut.push(before.next());
    expect(stored(dir)).toBeLessThan(Math.max(...handedOut)); // the file lags by 50
    // The process dies with the disk still full; a restart takes at least a millisecond (1,000 revisions' worth).
    disk.full = false;
    clock += 1;
    const after = new RevisionCounter(dir, () => clock);
    expect(after.next()).toBeGreaterThan(Math.max(...handedOut));
  });

  it('a stored value ahead of the clock (the clock was set back) still wins', () => {
    const dir = makeTempDir('packer-revision-');
    writeFileSync(path.join(dir, 'revision'), '9000000000\n');
    expect(new RevisionCounter(dir, () => 1_000).next()).toBe(9_000_000_001);
  });
});

describe('a workspace on a full disk', () => {
  it('still picks up a change on disk (new revision, new file), says why .packer/revision lags, and catches up on retry', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a' });
    const ws = await Workspace.open(root);
    const revision = ws.snapshot.revision;
    disk.full = true;
    writeFileSync(path.join(root, 'assets/b.txt'), 'b');
    const { changed } = await ws.refresh(['assets/b.txt'], 'watcher');
    expect(changed).toBe(true);
    expect(ws.snapshot.revision).toBe(revision + 1);
    expect(ws.snapshot.untracked.map((file) => file.path)).toContain('assets/b.txt');
    expect(ws.storageWarnings()).toEqual([expect.objectContaining({ store: 'revision', errno: 'ENOSPC' })]);

    disk.full = false;
    expect(ws.retryPendingWrites()).toEqual([]);
    expect(stored(path.join(root, '.packer'))).toBe(ws.snapshot.revision);
    await ws.close();
  });
});
