import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, Workspace } from '@packer/core';
import { DiskSync, type DiskSyncOptions } from '../../src/disk-sync.js';
import type { SelectedWatcherBackend, WatchBatch, WatchEvent } from '../../src/watcher/index.js';
import { waitUntil } from './wait-until.js';

/** Cleanups a test file runs after each test, last pushed first. */
export type Cleanups = (() => Promise<void> | void)[];

/** A temp project whose `files` (relative paths, `.txt`) are written with their own path as content and registered. */
export async function openTextProject(
  files: readonly string[],
  cleanups: Cleanups,
): Promise<{ root: string; workspace: Workspace }> {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'packer-hand-fed-')));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${file}\n`);
  }
  writeFileSync(
    path.join(root, 'packer.json'),
    JSON.stringify({ name: 'p', assetRoots: ['assets'], kinds: { text: { extensions: ['.txt'], processor: 'text' } } }),
  );
  const workspace = await Workspace.open(root, { env: {} });
  cleanups.push(() => workspace.close());
  await workspace.apply({ type: 'register', paths: ['assets'] });
  return { root, workspace };
}

export interface HandFedSync {
  sync: DiskSync;
  /** Hands one watcher delivery to the DiskSync, as @parcel/watcher would. */
  deliver(events: WatchEvent[]): void;
  event(type: WatchEvent['type'], relative: string): WatchEvent;
  /** The cookie file a synced read wrote under assets/, once it is there. */
  cookie(): Promise<string>;
  /** What the DiskSync logged as warnings. */
  warnings: string[];
}

/**
 * A DiskSync attached to `workspace` over a watcher backend whose deliveries the test makes itself: what
 * @parcel/watcher drops (parcel-bundler/watcher#183, a kernel queue overflow) is what the test leaves out.
 */
export async function handFedSync(
  root: string,
  workspace: Workspace,
  cleanups: Cleanups,
  options: Partial<Pick<DiskSyncOptions, 'now' | 'overflowSuspectEvents'>> = {},
): Promise<HandFedSync> {
  let onBatch: ((batch: WatchBatch) => void) | undefined;
  const backend: SelectedWatcherBackend = {
    name: 'parcel',
    requested: 'parcel',
    subscribe: (subscribeOptions) => {
      onBatch = subscribeOptions.onBatch;
      return Promise.resolve({ backend: 'parcel', close: () => Promise.resolve() });
    },
  };
  const warnings: string[] = [];
  const sync = new DiskSync({
    root,
    config: loadConfig(root, {}),
    backend,
    onStateMaybeChanged: () => undefined,
    onConfigInvalid: () => undefined,
    onConfigReloaded: () => undefined,
    onDegraded: () => undefined,
    onRecovered: () => undefined,
    log: (level, message) => {
      if (level === 'warn') warnings.push(message);
    },
    ...options,
  });
  cleanups.push(() => sync.close());
  await sync.start();
  sync.attach(workspace);
  const cookies = () => readdirSync(path.join(root, 'assets')).filter((name) => name.startsWith('.packer-cookie-'));
  return {
    sync,
    warnings,
    deliver: (events) => onBatch!({ events }),
    event: (type, relative) => ({ type, path: path.join(root, relative) }),
    cookie: async () => {
      await waitUntil(() => cookies().length === 1, 'the synced read wrote its cookie');
      return path.join(root, 'assets', cookies()[0]!);
    },
  };
}
