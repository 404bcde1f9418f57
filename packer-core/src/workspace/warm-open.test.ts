import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REGISTRY_LOAD_CACHE_FILE } from '../registry/registry-load-cache.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

// A warm open (issue 11) starts from what the last open persisted: the registry load cache, the digest cache. Whatever
// changed on disk while no daemon ran must show in its first snapshot exactly as in a cold open, which has none.

const FOLDERS = ['assets', 'assets/ui', 'assets/levels'];

function project(shards: 1 | 16): string {
  const files: Record<string, string> = {};
  for (const folder of FOLDERS)
    for (let index = 0; index < 10; index++) files[`${folder}/f${index}.txt`] = `${folder} file ${index}\n`;
  return makeTempProject(files, { ...TEST_CONFIG, registry: { shards } });
}

/** Everything the first snapshot shows, revision aside. */
async function firstSnapshot(root: string): Promise<Record<string, unknown>> {
  const ws = await Workspace.open(root);
  try {
    const { revision: _revision, ...snapshot } = ws.snapshot;
    return JSON.parse(JSON.stringify(snapshot)) as Record<string, unknown>;
  } finally {
    await ws.close();
  }
}

/**
 * A cold open of the same disk: nothing derived at the last open is reused (the registry load cache goes). The digest
 * cache stays: it is the memory of what files held, which an outside move is recognised by.
 */
async function coldSnapshot(root: string): Promise<Record<string, unknown>> {
  rmSync(path.join(root, '.packer', REGISTRY_LOAD_CACHE_FILE), { force: true });
  return firstSnapshot(root);
}

describe('warm open', () => {
  for (const shards of [1, 16] as const) {
    it(`shows outside adds, edits, deletes and renames made while closed as a cold open does (registry.shards ${shards})`, async () => {
      const root = project(shards);
      const ws = await Workspace.open(root);
      await ws.apply({ type: 'register', paths: ['assets'] });
      await ws.close();
      // Registry files checked out long ago: the load cache may trust them.
      const past = new Date(Date.now() - 60_000);
      const registryFiles = existsSync(path.join(root, 'packer.registry'))
        ? readdirSync(path.join(root, 'packer.registry')).map((name) => path.join('packer.registry', name))
        : ['packer.registry.json'];
      for (const name of registryFiles) utimesSync(path.join(root, name), past, past);
      await firstSnapshot(root); // warm state recorded

      const at = (relative: string): string => path.join(root, relative);
      writeFileSync(at('assets/new.txt'), 'added while closed\n');
      appendFileSync(at('assets/ui/f1.txt'), 'edited while closed\n');
      writeFileSync(at('assets/ui/f2.txt'), 'assets/ui file 9\n'); // same size, other content (a new mtime)
      rmSync(at('assets/levels/f3.txt'));
      mkdirSync(at('assets/moved'));
      renameSync(at('assets/levels/f4.txt'), at('assets/moved/f4.txt'));
      rmSync(at('assets/ui/f5.txt'));
      writeFileSync(at('assets/ui/f5.txt'), 'replaced\n'); // a new inode at the same path

      const warm = await firstSnapshot(root);
      const summary = warm.summary as { missing: number; untracked: number };
      expect(summary.untracked).toBeGreaterThan(0);
      expect(summary.missing).toBeGreaterThan(0);
      const assets = warm.assets as { path: string; observation?: { size: number } }[];
      expect(assets.find((asset) => asset.path === 'assets/ui/f1.txt')?.observation?.size).toBe(
        'assets/ui file 1\nedited while closed\n'.length,
      );
      const divergence = warm.divergence as { type: string; from?: string; to?: string }[];
      expect(divergence).toContainEqual(
        expect.objectContaining({ type: 'moved', from: 'assets/levels/f4.txt', to: 'assets/moved/f4.txt' }),
      );
      expect(warm).toEqual(await coldSnapshot(root));
    });
  }
});
