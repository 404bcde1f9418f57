import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newAssetId, serializeRegistry } from '@packer/core';
import type { RegistryEntry } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { waitUntil } from './support/wait-until.js';

let daemon: DaemonProcess | undefined;
let client: DaemonClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (daemon) await stopDaemon(daemon); // removes the project folder too
  daemon = undefined;
});

/** The shard file of a path's parent folder with 16 shards (first hex digit of sha256 of the folder). */
function shardOf(entryPath: string): string {
  const folder = entryPath.slice(0, entryPath.lastIndexOf('/'));
  return `packer.registry/${createHash('sha256').update(folder).digest('hex').slice(0, 1)}.json`;
}

function entry(entryPath: string, tags: string[] = []): RegistryEntry {
  return { id: newAssetId(), path: entryPath, kind: 'text', settings: {}, tags };
}

/** Writes the registry as shard files, each entry in its canonical shard. */
function writeShards(root: string, entries: readonly RegistryEntry[]): void {
  const byFile = new Map<string, RegistryEntry[]>();
  for (const item of entries) byFile.set(shardOf(item.path), [...(byFile.get(shardOf(item.path)) ?? []), item]);
  for (const [file, list] of byFile) writeFileSync(path.join(root, file), serializeRegistry(list));
}

describe('the daemon watches a sharded registry (packer.registry/)', () => {
  it('a shard rewritten outside the packer (git, an editor) is reloaded; an id put in a second shard makes it read-only', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'packer-watch-shards-'));
    const paths = ['assets/a/one.txt', 'assets/b/two.txt'];
    // Two folders in two different shards, so the duplicate below sits in another file.
    expect(shardOf(paths[0]!)).not.toBe(shardOf(paths[1]!));
    writeFileSync(
      path.join(root, 'packer.json'),
      JSON.stringify({
        name: 'shards',
        assetRoots: ['assets'],
        kinds: { text: { extensions: ['.txt'] } },
        registry: { shards: 16 },
      }),
    );
    for (const file of paths) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), file);
    }
    mkdirSync(path.join(root, 'packer.registry'));
    const [one, two] = paths.map((file) => entry(file));
    writeShards(root, [one!, two!]);

    daemon = await startDaemon({ root });
    client = await connectClient(root, 'watch-shards');
    const first = await client.call('snapshot.get', {});
    expect(first.registryState).toBe('ok');
    expect(first.assets.map((asset) => asset.path).sort()).toEqual(paths);
    // The registry's own files are never untracked assets.
    expect(first.untracked).toEqual([]);

    writeShards(root, [{ ...one!, tags: ['outside'] }]);
    await waitUntil(async () => {
      const snapshot = await client!.call('snapshot.get', {});
      return snapshot.assets.find((asset) => asset.path === paths[0])?.tags.includes('outside') === true;
    }, 'the outside edit of a shard reaches the snapshot');

    // The same id also in the other folder's shard: INVALID_REGISTRY, read-only, never rewritten.
    writeFileSync(
      path.join(root, shardOf(paths[1]!)),
      serializeRegistry([two!, { ...one!, path: 'assets/b/copy.txt' }]),
    );
    await waitUntil(
      async () => (await client!.call('snapshot.get', {})).registryState === 'read-only',
      'the duplicate id makes the registry read-only',
    );
  });
});
