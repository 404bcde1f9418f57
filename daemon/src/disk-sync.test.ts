import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, Workspace } from '@packer/core';
import { DiskSync } from './disk-sync.js';
import { selectWatcherBackend } from './watcher/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function project(): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'packer-disk-sync-')));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'assets', 'first.txt'), 'first\n');
  writeFileSync(
    path.join(root, 'packer.json'),
    JSON.stringify({ name: 'p', assetRoots: ['assets'], kinds: { text: { extensions: ['.txt'], processor: 'text' } } }),
  );
  return root;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('DiskSync started before the workspace opens', () => {
  it('applies a change made after the open scanned (before it was attached) once attached', async () => {
    const root = project();
    const seen: string[] = [];
    const sync = new DiskSync({
      root,
      config: loadConfig(root, {}),
      backend: await selectWatcherBackend({}),
      onStateMaybeChanged: (cause) => seen.push(cause),
      onConfigInvalid: () => undefined,
      onConfigReloaded: () => undefined,
      onDegraded: () => undefined,
      onRecovered: () => undefined,
      log: () => undefined,
    });
    cleanups.push(() => sync.close());
    await sync.start();
    const workspace = await Workspace.open(root, { env: {} });
    cleanups.push(() => workspace.close());
    expect(workspace.snapshot.untracked.map((file) => file.path)).toEqual(['assets/first.txt']);
    // Written after the open's scan: only the watcher, started before, can tell the workspace about it.
    writeFileSync(path.join(root, 'assets', 'second.txt'), 'second\n');
    await until(() => (sync as unknown as { pendingPaths: Set<string> }).pendingPaths.size > 0, 'the watcher batch');
    expect(seen).toEqual([]);
    sync.attach(workspace);
    await sync.sync();
    expect(workspace.snapshot.untracked.map((file) => file.path)).toEqual(['assets/first.txt', 'assets/second.txt']);
    expect(seen).toContain('disk');
  });
});
