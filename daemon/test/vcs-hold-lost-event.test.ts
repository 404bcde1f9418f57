import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, Workspace } from '@packer/core';
import { DiskSync } from '../src/disk-sync.js';
import type { SelectedWatcherBackend, WatchBatch } from '../src/watcher/index.js';
import { waitUntil } from './support/wait-until.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const GONE = ['assets/a.txt', 'assets/b.txt', 'assets/c.txt'];

/** A project with four registered text files. */
async function openProject(): Promise<{ root: string; workspace: Workspace }> {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'packer-vcs-hold-')));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'assets'));
  for (const file of [...GONE, 'assets/d.txt']) writeFileSync(path.join(root, file), `${file}\n`);
  writeFileSync(
    path.join(root, 'packer.json'),
    JSON.stringify({ name: 'p', assetRoots: ['assets'], kinds: { text: { extensions: ['.txt'], processor: 'text' } } }),
  );
  const workspace = await Workspace.open(root, { env: {} });
  cleanups.push(() => workspace.close());
  await workspace.apply({ type: 'register', paths: ['assets'] });
  return { root, workspace };
}

/** A watcher backend whose batches the test hands over itself, event by event. */
function handFedBackend(): { backend: SelectedWatcherBackend; deliver(batch: WatchBatch): void } {
  let onBatch: ((batch: WatchBatch) => void) | undefined;
  const backend: SelectedWatcherBackend = {
    name: 'parcel',
    requested: 'parcel',
    subscribe: (options) => {
      onBatch = options.onBatch;
      return Promise.resolve({ backend: 'parcel', close: () => Promise.resolve() });
    },
  };
  return { backend, deliver: (batch) => onBatch!(batch) };
}

describe('changes held while .git/index.lock exists', () => {
  it('settle with every change on disk, even one the watcher never reported (parcel-bundler/watcher#183)', async () => {
    const { root, workspace } = await openProject();
    const { backend, deliver } = handFedBackend();
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
    });
    cleanups.push(() => sync.close());
    await sync.start();
    sync.attach(workspace);

    // git rewrites files under its lock; three go, and the watcher reports only two of them: @parcel/watcher drops an
    // event that arrives while its debounce thread hands a delivery over.
    mkdirSync(path.join(root, '.git'));
    writeFileSync(path.join(root, '.git/index.lock'), '');
    for (const file of GONE) rmSync(path.join(root, file));
    deliver({ events: GONE.slice(0, 2).map((file) => ({ type: 'unlink', path: path.join(root, file) })) });
    const read = sync.sync();
    const cookies = () => readdirSync(path.join(root, 'assets')).filter((name) => name.startsWith('.packer-cookie-'));
    await waitUntil(() => cookies().length === 1, 'the synced read wrote its cookie');
    deliver({ events: [{ type: 'add', path: path.join(root, 'assets', cookies()[0]!) }] });
    await waitUntil(() => sync.watcherHealth.heldBy === '.git/index.lock', 'the changes are held for the lock');
    expect(workspace.snapshot.summary.missing).toBe(0);

    rmSync(path.join(root, '.git/index.lock'));
    await read;
    expect(workspace.snapshot.summary.missing).toBe(3);
    expect(sync.watcherHealth.heldBy).toBeUndefined();
  });
});
