import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BurstDetector, FOLLOW_MS, relistFolders, type KnownFiles } from './burst-relist.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('BurstDetector', () => {
  it('leaves a lone change alone, and lists the folders of a burst and of a split burst', () => {
    const clock = { now: 0 };
    const bursts = new BurstDetector(() => clock.now);
    expect([...bursts.noteDelivery(['assets/a/x.png'])]).toEqual([]);
    clock.now += FOLLOW_MS + 1;
    expect([...bursts.noteDelivery(['assets/a/x.png', 'assets/b/y.png'])]).toEqual(['assets/a', 'assets/b']);
    clock.now += FOLLOW_MS + 1;
    expect([...bursts.noteDelivery(['assets/c/z.png'])]).toEqual([]);
    // The rest of a burst whose first delivery named one path: both deliveries' folders.
    clock.now += 60;
    expect([...bursts.noteDelivery(['assets/d/w.png'])].sort()).toEqual(['assets/c', 'assets/d']);
    // A cookie that arrived in the middle of a burst: the previous delivery's folders.
    clock.now += 60;
    expect([...bursts.noteDelivery([])]).toEqual(['assets/d']);
  });

  it('leaves alone a lone new file whose create and write parcel delivered 50 ms apart', () => {
    const clock = { now: 0 };
    const bursts = new BurstDetector(() => clock.now);
    expect([...bursts.noteDelivery(['assets/a/x.png'])]).toEqual([]);
    clock.now += 50;
    expect([...bursts.noteDelivery(['assets/a/x.png'])]).toEqual([]);
  });

  it('counts from the end of applying: a delivery held back by a busy event loop still follows', () => {
    const clock = { now: 0 };
    const bursts = new BurstDetector(() => clock.now);
    bursts.noteDelivery(['assets/a/x.png']);
    clock.now += 5_000;
    bursts.noteApplied();
    clock.now += 10;
    expect([...bursts.noteDelivery(['assets/b/y.png'])].sort()).toEqual(['assets/a', 'assets/b']);
  });
});

/** The snapshot's file map as relistFolders reads it: sorted keys, `from` by binary search. */
function knownFrom(root: string, relatives: string[]): KnownFiles & { reads: number } {
  const keys = [...relatives].sort();
  const stats = new Map(keys.map((key) => [key, lstatSync(path.join(root, key))]));
  const known = {
    reads: 0,
    get: (relative: string) => stats.get(relative),
    *from(start: string) {
      let at = keys.findIndex((key) => key >= start);
      if (at === -1) return;
      for (; at < keys.length; at++) {
        known.reads++;
        yield [keys[at]!, stats.get(keys[at]!)] as const;
      }
    },
  };
  return known;
}

function tree(files: string[]): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'packer-relist-')));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  for (const file of files) {
    mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(root, file), file);
  }
  return root;
}

describe('relistFolders', () => {
  it('finds what was created, deleted, replaced or rewritten in the folder, without entering known subfolders', () => {
    const deep = Array.from({ length: 300 }, (_, index) => `assets/a/deep/f${index}.txt`);
    const files = ['assets/a/keep.txt', 'assets/a/gone.txt', 'assets/a/edit.txt', 'assets/a/old/x.txt', ...deep];
    const root = tree(files);
    const known = knownFrom(root, files);
    rmSync(path.join(root, 'assets/a/gone.txt'));
    rmSync(path.join(root, 'assets/a/old'), { recursive: true });
    writeFileSync(path.join(root, 'assets/a/edit.txt'), 'longer content than before');
    writeFileSync(path.join(root, 'assets/a/new.txt'), 'new');
    mkdirSync(path.join(root, 'assets/a/fresh'));
    writeFileSync(path.join(root, 'assets/a/.packer-cookie-1-1'), '');
    const skip = (relative: string) => path.basename(relative).startsWith('.packer-cookie-');
    const { stale } = relistFolders(root, ['assets/a'], known, skip);
    expect(stale.sort()).toEqual([
      'assets/a/edit.txt',
      'assets/a/fresh',
      'assets/a/gone.txt',
      'assets/a/new.txt',
      'assets/a/old',
    ]);
    // 300 files under a known subfolder: read once to learn its name, then skipped.
    expect(known.reads).toBeLessThan(20);
  });

  it('reports a folder that is gone as stale itself', () => {
    const root = tree(['assets/a/b/x.txt']);
    const known = knownFrom(root, ['assets/a/b/x.txt']);
    rmSync(path.join(root, 'assets/a/b'), { recursive: true });
    expect(relistFolders(root, ['assets/a/b'], known, () => false).stale).toEqual(['assets/a/b']);
  });
});
