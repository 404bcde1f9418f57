import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, Workspace } from '@packer/core';
import { DiskSync } from '../src/disk-sync.js';
import type { SelectedWatcherBackend, WatchBatch, WatchEvent } from '../src/watcher/index.js';
import { waitUntil } from './support/wait-until.js';

// @parcel/watcher 2.6.0 can drop one event of a burst (parcel-bundler/watcher#183): a DiskSync fed by hand with the
// burst less that event must still answer the next synced read with everything on disk.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** assets/sprites/s0..s9.txt and assets/sounds/b0..b4.txt, all registered. */
async function openProject(): Promise<{ root: string; workspace: Workspace }> {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'packer-burst-')));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'assets/sprites'), { recursive: true });
  mkdirSync(path.join(root, 'assets/sounds'));
  for (let index = 0; index < 10; index++)
    writeFileSync(path.join(root, `assets/sprites/s${index}.txt`), `s${index}\n`);
  for (let index = 0; index < 5; index++) writeFileSync(path.join(root, `assets/sounds/b${index}.txt`), `b${index}\n`);
  writeFileSync(
    path.join(root, 'packer.json'),
    JSON.stringify({ name: 'p', assetRoots: ['assets'], kinds: { text: { extensions: ['.txt'], processor: 'text' } } }),
  );
  const workspace = await Workspace.open(root, { env: {} });
  cleanups.push(() => workspace.close());
  await workspace.apply({ type: 'register', paths: ['assets'] });
  return { root, workspace };
}

/** A watcher backend whose batches the test hands over itself, and a clock the test moves. */
async function handFedSync(root: string, workspace: Workspace) {
  let onBatch: ((batch: WatchBatch) => void) | undefined;
  const backend: SelectedWatcherBackend = {
    name: 'parcel',
    requested: 'parcel',
    subscribe: (options) => {
      onBatch = options.onBatch;
      return Promise.resolve({ backend: 'parcel', close: () => Promise.resolve() });
    },
  };
  const clock = { now: 1_000_000 };
  const sync = new DiskSync({
    root,
    config: loadConfig(root, {}),
    backend,
    onStateMaybeChanged: () => undefined,
    onConfigInvalid: () => undefined,
    onConfigReloaded: () => undefined,
    onDegraded: () => undefined,
    onRecovered: () => undefined,
    log: () => undefined,
    now: () => clock.now,
  });
  cleanups.push(() => sync.close());
  await sync.start();
  sync.attach(workspace);
  const deliver = (events: WatchEvent[]): void => onBatch!({ events });
  const event = (type: WatchEvent['type'], relative: string): WatchEvent => ({ type, path: path.join(root, relative) });
  /** A synced read whose cookie the test delivers (alone, as parcel does for a read after a quiet second). */
  const syncedRead = async (): Promise<void> => {
    const read = sync.sync();
    const cookies = () => readdirSync(path.join(root, 'assets')).filter((name) => name.startsWith('.packer-cookie-'));
    await waitUntil(() => cookies().length === 1, 'the synced read wrote its cookie');
    clock.now += 5_000;
    deliver([event('add', `assets/${cookies()[0]!}`)]);
    await read;
  };
  return { sync, clock, deliver, event, syncedRead };
}

const paths = (workspace: Workspace, status: string): string[] =>
  workspace.snapshot.assets.filter((asset) => asset.status === status).map((asset) => asset.path);

describe('a burst the watcher reported with one event missing', () => {
  it('a script deletes six files and creates two; one delete and one create are never reported', async () => {
    const { root, workspace } = await openProject();
    const { sync, deliver, event, syncedRead } = await handFedSync(root, workspace);
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
    const { sync, clock, deliver, event, syncedRead } = await handFedSync(root, workspace);
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
    const { deliver, event, syncedRead } = await handFedSync(root, workspace);
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
    const { sync, clock, deliver, event, syncedRead } = await handFedSync(root, workspace);
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
