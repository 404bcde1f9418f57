import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workspace } from '@packer/core';
import { type Cleanups, handFedSync, openTextProject } from './support/hand-fed-sync.js';

// @parcel/watcher 2.6.0 can drop one event of a burst (parcel-bundler/watcher#183): a DiskSync fed by hand with the
// burst less that event must still answer the next synced read with everything on disk.

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** assets/sprites/s0..s9.txt and assets/sounds/b0..b4.txt, all registered. */
function openProject(): Promise<{ root: string; workspace: Workspace }> {
  const files = [
    ...Array.from({ length: 10 }, (_, index) => `assets/sprites/s${index}.txt`),
    ...Array.from({ length: 5 }, (_, index) => `assets/sounds/b${index}.txt`),
  ];
  return openTextProject(files, cleanups);
}

/** A watcher backend whose batches the test hands over itself, and a clock the test moves. */
async function handFedSyncWithClock(root: string, workspace: Workspace) {
  const clock = { now: 1_000_000 };
  const fed = await handFedSync(root, workspace, cleanups, { now: () => clock.now });
  /** A synced read whose cookie the test delivers (alone, as parcel does for a read after a quiet second). */
  const syncedRead = async (): Promise<void> => {
    const read = fed.sync.sync();
    const cookie = await fed.cookie();
    clock.now += 5_000;
    fed.deliver([{ type: 'add', path: cookie }]);
    await read;
  };
  return { sync: fed.sync, clock, deliver: fed.deliver, event: fed.event, syncedRead };
}

const paths = (workspace: Workspace, status: string): string[] =>
  workspace.snapshot.assets.filter((asset) => asset.status === status).map((asset) => asset.path);

describe('a burst the watcher reported with one event missing', () => {
  it('a script deletes six files and creates two; one delete and one create are never reported', async () => {
    const { root, workspace } = await openProject();
    const { sync, deliver, event, syncedRead } = await handFedSyncWithClock(root, workspace);
    const gone = [0, 1, 2, 3, 4, 5].map((index) => `assets/sprites/s${index}.txt`);
    for (const file of gone) rmSync(path.join(root, file));
    writeFileSync(path.join(root, 'assets/sprites/new0.txt'), 'n0\n');
    writeFileSync(path.join(root, 'assets/sprites/new1.txt'), 'n1\n');
    // s3 and new1 fell between parcel's getEvents() and clear().
    deliver([
      ...gone.filter((file) => file !== 'assets/sprites/s3.txt').map((file) => event('unlink', file)),
      event('add', 'assets/sprites/new0.txt'),
    ]);
    await syncedRead();
    expect(paths(workspace, 'missing')).toEqual(gone);
    expect(workspace.snapshot.untracked.map((file) => file.path)).toEqual([
      'assets/sprites/new0.txt',
      'assets/sprites/new1.txt',
    ]);
    expect(sync.relistStats).toMatchObject({ folders: 1, found: 1 });
  });

  it('a burst split in two deliveries (one path each): the event lost between them is found', async () => {
    const { root, workspace } = await openProject();
    const { sync, clock, deliver, event, syncedRead } = await handFedSyncWithClock(root, workspace);
    // rm b0 b1 b2: b0 went out at once (the first event after a quiet spell), b1 was lost, b2 came 60 ms later.
    for (const index of [0, 1, 2]) rmSync(path.join(root, `assets/sounds/b${index}.txt`));
    deliver([event('unlink', 'assets/sounds/b0.txt')]);
    clock.now += 60;
    deliver([event('unlink', 'assets/sounds/b2.txt')]);
    await syncedRead();
    expect(paths(workspace, 'missing')).toEqual([
      'assets/sounds/b0.txt',
      'assets/sounds/b1.txt',
      'assets/sounds/b2.txt',
    ]);
    expect(sync.relistStats.found).toBe(1);
  });

  it('a file rewritten in place in a burst folder, its event lost, is re-observed (size or mtime changed)', async () => {
    const { root, workspace } = await openProject();
    const { deliver, event, syncedRead } = await handFedSyncWithClock(root, workspace);
    const before = workspace.snapshot.assets.find((asset) => asset.path === 'assets/sprites/s7.txt')!;
    writeFileSync(path.join(root, 'assets/sprites/s6.txt'), 'edited six\n');
    writeFileSync(path.join(root, 'assets/sprites/s7.txt'), 'edited seven, longer\n');
    writeFileSync(path.join(root, 'assets/sprites/s8.txt'), 'edited eight\n');
    deliver([event('change', 'assets/sprites/s6.txt'), event('change', 'assets/sprites/s8.txt')]);
    await syncedRead();
    const after = workspace.snapshot.assets.find((asset) => asset.path === 'assets/sprites/s7.txt')!;
    expect(after.observation?.size).toBe('edited seven, longer\n'.length);
    expect(after.observation?.size).not.toBe(before.observation?.size);
  });
});

describe('a lone change', () => {
  it('is applied without listing its folder again, and so is another one a second later', async () => {
    const { root, workspace } = await openProject();
    const { sync, clock, deliver, event, syncedRead } = await handFedSyncWithClock(root, workspace);
    rmSync(path.join(root, 'assets/sprites/s0.txt'));
    deliver([event('unlink', 'assets/sprites/s0.txt')]);
    await syncedRead();
    clock.now += 1_000;
    writeFileSync(path.join(root, 'assets/sounds/b4.txt'), 'edited\n');
    deliver([event('change', 'assets/sounds/b4.txt')]);
    await syncedRead();
    expect(paths(workspace, 'missing')).toEqual(['assets/sprites/s0.txt']);
    expect(workspace.snapshot.assets.find((asset) => asset.path === 'assets/sounds/b4.txt')?.observation?.size).toBe(7);
    expect(sync.relistStats.passes).toBe(0);
  });
});
