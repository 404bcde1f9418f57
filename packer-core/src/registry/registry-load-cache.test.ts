import { readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { copyProject, readRegistryFiles } from '../testing/project-state.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { REGISTRY_LOAD_CACHE_FILE } from './registry-load-cache.js';
import { REGISTRY_FOLDER } from './registry-shards.js';

// The registry load cache (issue 11, warm open): a registry file whose stat is the one the last open recorded is
// read without validating it again. Whatever happened while no daemon ran, an open must see what a cold open sees.

const CONFIG: ProjectConfigInput = { ...TEST_CONFIG, registry: { shards: 16 } };

function project(): string {
  const files: Record<string, string> = {};
  for (const folder of ['assets', 'assets/ui', 'assets/levels', 'assets/sfx'])
    for (let index = 0; index < 12; index++) files[`${folder}/f${index}.txt`] = `${folder} ${index}`;
  return makeTempProject(files, CONFIG);
}

function shardPaths(root: string): string[] {
  const folder = path.join(root, REGISTRY_FOLDER);
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .map((name) => path.join(folder, name));
}

/** Sets the registry files' mtime well in the past, as files checked out long before the open. */
function ageRegistry(root: string): void {
  const past = new Date(Date.now() - 60_000);
  for (const file of shardPaths(root)) utimesSync(file, past, past);
}

/** What a user sees of one open: every asset, untracked file, diagnostic and count, revision aside. */
async function openView(root: string): Promise<unknown> {
  const ws = await Workspace.open(root);
  try {
    const { revision: _revision, ...snapshot } = ws.snapshot;
    return JSON.parse(JSON.stringify(snapshot));
  } finally {
    await ws.close();
  }
}

/** The same open with no cache: every registry file validated in full. */
async function coldView(root: string): Promise<unknown> {
  rmSync(path.join(root, '.packer', REGISTRY_LOAD_CACHE_FILE), { force: true });
  return openView(root);
}

async function registeredProject(): Promise<string> {
  const root = project();
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  ageRegistry(root);
  // This open reads every file in full and records them (on close).
  await openView(root);
  expect(readFileSync(path.join(root, '.packer', REGISTRY_LOAD_CACHE_FILE)).length).toBeGreaterThan(0);
  return root;
}

function identity(file: string): string {
  const stats = statSync(file, { bigint: true });
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

describe('registry load cache', () => {
  it('a shard edited while no daemon ran (a git checkout, say) is read again', async () => {
    const root = await registeredProject();
    const shard = shardPaths(root)[0]!;
    const text = readFileSync(shard, 'utf8');
    const first = text.split('\n')[1]!;
    const entry = JSON.parse(first.slice(1)) as { tags: string[] };
    writeFileSync(shard, text.replace(first, first[0] + JSON.stringify({ ...entry, tags: ['checked-out'] })));
    ageRegistry(root);
    const warm = (await openView(root)) as { assets: { tags: string[] }[] };
    expect(warm.assets.filter((asset) => asset.tags.includes('checked-out'))).toHaveLength(1);
    expect(warm).toEqual(await coldView(root));
  });

  it('a shard changed to something invalid while no daemon ran makes the registry read-only, as a cold open does', async () => {
    const root = await registeredProject();
    const shard = shardPaths(root)[0]!;
    const text = readFileSync(shard, 'utf8');
    writeFileSync(shard, text.replace('"path":"assets/', '"path":"assets/./'));
    ageRegistry(root);
    const warm = (await openView(root)) as { registryState: string };
    expect(warm.registryState).toBe('read-only');
    expect(warm).toEqual(await coldView(root));
  });

  it('a shard deleted or added while no daemon ran is seen', async () => {
    const root = await registeredProject();
    const [gone, kept] = shardPaths(root);
    const moved = readFileSync(gone!, 'utf8');
    rmSync(gone!);
    const warm = (await openView(root)) as { summary: { missing: number; untracked: number } };
    expect(warm).toEqual(await coldView(root));
    expect(warm.summary.untracked).toBeGreaterThan(0);
    writeFileSync(gone!, moved);
    ageRegistry(root);
    expect(kept).toBeDefined();
    const back = (await openView(root)) as { summary: { untracked: number } };
    expect(back.summary.untracked).toBe(0);
    expect(back).toEqual(await coldView(root));
  });

  for (const damage of ['truncated', 'garbage', 'foreign version'] as const) {
    it(`a ${damage} cache file falls back to a full load with the same result`, async () => {
      const root = await registeredProject();
      const cache = path.join(root, '.packer', REGISTRY_LOAD_CACHE_FILE);
      const expected = await coldView(root);
      await openView(root); // recorded again
      if (damage === 'truncated') truncateSync(cache, Math.floor(statSync(cache).size / 2));
      if (damage === 'garbage') writeFileSync(cache, 'not a cache at all');
      if (damage === 'foreign version') {
        const data = v8.deserialize(readFileSync(cache)) as { version: number };
        writeFileSync(cache, v8.serialize({ ...data, version: data.version + 1 }));
      }
      expect(await openView(root)).toEqual(expected);
    });
  }

  it('mutations after a warm open write the same registry files as after a cold open', async () => {
    const warmRoot = await registeredProject();
    const coldRoot = copyProject(warmRoot);
    rmSync(path.join(coldRoot, '.packer', REGISTRY_LOAD_CACHE_FILE), { force: true });
    writeFileSync(path.join(warmRoot, 'assets/ui/new.txt'), 'new\n');
    writeFileSync(path.join(coldRoot, 'assets/ui/new.txt'), 'new\n');
    for (const root of [warmRoot, coldRoot]) {
      const ws = await Workspace.open(root);
      const [first, second] = ws.snapshot.assets;
      await ws.apply({ type: 'update', target: first!.path, addTags: ['warm'] });
      await ws.apply({ type: 'remove', targets: [second!.path] });
      await ws.apply({ type: 'register', paths: ['assets/ui/new.txt'] });
      // The removed asset's file registered again: an entry that left the order and comes back is validated anew.
      await ws.apply({ type: 'register', paths: [second!.path] });
      await ws.close();
    }
    const strip = (registry: Record<string, string>): string =>
      JSON.stringify(Object.values(registry).map((text) => text.replace(/"id":"a_[0-9A-Z]{26}"/g, '')));
    expect(strip(readRegistryFiles(warmRoot))).toBe(strip(readRegistryFiles(coldRoot)));
  });

  it('trusts a recorded file only when it was modified before it was read (racy-git rule)', async () => {
    const root = await registeredProject();
    const shard = shardPaths(root)[0]!;
    const relative = path.relative(root, shard).split(path.sep).join('/');
    // An edit of the same size that the stat alone cannot tell from the recorded file: a path made non-normal.
    const text = readFileSync(shard, 'utf8');
    const edited = text.replace(/"path":"assets\/([^"]{2})/, '"path":"assets/./');
    expect(edited.length).toBe(text.length);
    writeFileSync(shard, edited);
    const mtimeMs = statSync(shard).mtimeMs;
    const lines = edited.split('\n').length - 3;
    const cache = path.join(root, '.packer', REGISTRY_LOAD_CACHE_FILE);
    const data = v8.deserialize(readFileSync(cache)) as { files: [string, unknown][] };
    const forge = (readAtMs: number): void => {
      const files = data.files.map(([name, verdict]) =>
        name === relative ? [name, { identity: identity(shard), readAtMs, lines }] : [name, verdict],
      );
      writeFileSync(cache, v8.serialize({ ...data, files }));
    };
    // Recorded as read in the very tick the file was written: not trusted, so the reader's check refuses the path.
    forge(mtimeMs);
    expect(((await openView(root)) as { registryState: string }).registryState).toBe('read-only');
    // Recorded as read well after its last change: trusted as recorded (the stat vouches for the bytes, as in git).
    forge(mtimeMs + 10_000);
    expect(((await openView(root)) as { registryState: string }).registryState).toBe('ok');
  });
});
