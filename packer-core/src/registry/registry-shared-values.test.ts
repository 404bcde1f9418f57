import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { newAssetId } from '../ids/asset-id.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { serializeRegistry } from './registry-codec.js';
import { RegistryFileStore } from './registry-file-store.js';
import { RegistryLoadCache } from './registry-load-cache.js';
import { REGISTRY_FILE } from './registry-shards.js';

// Issue 11 (daemon memory per asset): nearly every entry has no settings and no tags, and each loaded entry used to
// hold its own empty object and array for the daemon's life. They are shared now; nothing a user sees changes.

const plain = (entryPath: string): RegistryEntry => ({
  id: newAssetId(),
  path: entryPath,
  kind: 'text',
  settings: {},
  tags: [],
});

const entries = (): RegistryEntry[] => [
  plain('assets/a.txt'),
  plain('assets/b.txt'),
  { ...plain('assets/c.txt'), settings: { quality: 3 }, tags: ['ui'] },
  plain('assets/d.txt'),
];

function formatOne(list: readonly RegistryEntry[]): string {
  return `${JSON.stringify({ version: 1, assets: list }, null, 2)}\n`;
}

function loaded(text: string, cache?: RegistryLoadCache, root = makeTempDir('registry-shared-')): RegistryEntry[] {
  if (!cache) writeFileSync(path.join(root, REGISTRY_FILE), text);
  const load = new RegistryFileStore(root, REGISTRY_FILE, cache).load();
  if (load.state !== 'ok') throw load.error;
  return load.entries;
}

function expectShared(list: readonly RegistryEntry[]): void {
  const [a, b, c, d] = list;
  expect(a!.settings).toBe(b!.settings);
  expect(a!.settings).toBe(d!.settings);
  expect(a!.tags).toBe(b!.tags);
  expect(a!.tags).toBe(d!.tags);
  expect(Object.isFrozen(a!.settings) && Object.isFrozen(a!.tags)).toBe(true);
  expect(c!.settings).toEqual({ quality: 3 });
  expect(c!.tags).toEqual(['ui']);
}

describe('loaded registry entries share one empty settings object and one empty tags array', () => {
  it.each([
    ['format 2', (list: RegistryEntry[]) => serializeRegistry(list)],
    ['format 1', formatOne],
  ])('%s: shared, and the entries serialise to the same JSON and registry text', (_name, write) => {
    const original = entries();
    const text = write(original);
    const list = loaded(text);
    expectShared(list);
    expect(JSON.stringify(list)).toBe(JSON.stringify(original));
    expect(serializeRegistry(list)).toBe(serializeRegistry(original));
  });

  it('a warm open (the load cache vouches for the file) shares them too', () => {
    const root = makeTempDir('registry-shared-');
    const text = serializeRegistry(entries());
    writeFileSync(path.join(root, REGISTRY_FILE), text);
    // Checked out long before the open: its stat alone may vouch for it.
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, REGISTRY_FILE), past, past);
    const stateDir = path.join(root, '.packer');
    const cache = new RegistryLoadCache(stateDir, root);
    const first = new RegistryFileStore(root, REGISTRY_FILE, cache);
    expect(first.load().state).toBe('ok');
    const verdict = first.verdict();
    expect(verdict).toBeTypeOf('object');
    cache.save(new Map([[REGISTRY_FILE, verdict as Exclude<typeof verdict, 'later' | undefined>]]));
    const warm = loaded(text, new RegistryLoadCache(stateDir, root), root);
    expectShared(warm);
  });

  it('a change to one entry gives it its own tags and leaves the shared ones empty', () => {
    const root = makeTempDir('registry-shared-');
    writeFileSync(path.join(root, REGISTRY_FILE), serializeRegistry(entries()));
    const store = new RegistryFileStore(root);
    const load = store.load();
    if (load.state !== 'ok') throw load.error;
    const [a, b] = load.entries;
    const tagged = { ...a!, tags: [...a!.tags, 'new'] };
    store.writeText(store.serialize(load.entries.map((entry) => (entry === a ? tagged : entry))));
    const again = new RegistryFileStore(root).load();
    if (again.state !== 'ok') throw again.error;
    expect(again.entries.find((entry) => entry.id === a!.id)!.tags).toEqual(['new']);
    expect(b!.tags).toEqual([]);
    expect(again.entries.find((entry) => entry.id === b!.id)!.tags).toEqual([]);
  });
});

describe('a planned add shares them as well', () => {
  // An add of 100,000 files is held twice while it applies (the preview a client may page, and the re-plan that
  // commits): an empty object and array per planned entry were ~18 MB of the daemon's peak under that load.
  it('new entries without tags share the empties; tagged ones keep their own tags; both apply as before', async () => {
    const root = makeTempProject({ 'assets/a.txt': 'a', 'assets/b.txt': 'b', 'assets/ui/c.txt': 'c' }, TEST_CONFIG);
    const ws = await Workspace.open(root);
    try {
      const plan = ws.preview({ type: 'register', paths: ['assets'] });
      const planned = plan.registryMutations.flatMap((change) => (change.op === 'add' ? [change.entry] : []));
      expect(planned).toHaveLength(3);
      expect(planned[0]!.settings).toBe(planned[1]!.settings);
      expect(planned[0]!.tags).toBe(planned[2]!.tags);
      expect(Object.isFrozen(planned[0]!.settings) && Object.isFrozen(planned[0]!.tags)).toBe(true);
      await ws.apply({ type: 'register', paths: ['assets/a.txt', 'assets/b.txt'] });
      await ws.apply({ type: 'register', paths: ['assets/ui/c.txt'], tags: [' ui ', 'ui', 'hud'] });
      expect(ws.snapshot.assets.map((asset) => [asset.path, asset.tags])).toEqual([
        ['assets/a.txt', []],
        ['assets/b.txt', []],
        ['assets/ui/c.txt', ['hud', 'ui']],
      ]);
      await ws.apply({ type: 'update', target: ws.snapshot.assets[0]!.id, addTags: ['later'] });
      expect(ws.snapshot.assets.map((asset) => asset.tags)).toEqual([['later'], [], ['hud', 'ui']]);
    } finally {
      await ws.close();
    }
  });
});
