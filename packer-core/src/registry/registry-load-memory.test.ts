import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { serializeRegistry } from './registry-codec.js';
import { RegistryFileStore } from './registry-file-store.js';
import { RegistryLoadCache } from './registry-load-cache.js';
import { REGISTRY_FILE } from './registry-shards.js';
import { settledHeap } from '../testing/settled-heap.js';

// Issue 11: a loaded registry costs its entries, not its text as well. The store used to keep the file's whole text
// (19 MB at 100k entries, format 1 or 2) and, for format 2, each line as a slice of it, for the daemon's life. It
// keeps the text's sha256 now and rebuilds a line from its entry when a write needs it. Measured here over 20k
// entries (text ~3.6 MB): ~365-435 bytes per entry retained before, ~200-215 after (the entries themselves).

const COUNT = 20_000;
const BUDGET_BYTES_PER_ENTRY = 290;

function entries(): RegistryEntry[] {
  const list: RegistryEntry[] = [];
  for (let index = 0; index < COUNT; index++)
    list.push({
      id: `a_01HZZZZZZZZZZZZZ${String(index).padStart(10, '0')}`,
      path: `assets/f${String(index % 50).padStart(2, '0')}/file-${String(index).padStart(6, '0')}.txt`,
      kind: 'text',
      settings: {},
      tags: [],
    });
  return list;
}

/** Heap retained per entry by a store that loaded `text` (and the entries it returned). */
function retainedPerEntry(root: string, cache?: RegistryLoadCache): number {
  const before = settledHeap();
  const store = new RegistryFileStore(root, REGISTRY_FILE, cache);
  const load = store.load();
  expect(load.state).toBe('ok');
  if (load.state === 'ok') expect(load.entries).toHaveLength(COUNT);
  return (settledHeap() - before) / COUNT;
}

function project(text: string): string {
  const root = makeTempDir('registry-load-memory-');
  const file = path.join(root, REGISTRY_FILE);
  writeFileSync(file, text);
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
  return root;
}

describe('a loaded registry does not keep its text', () => {
  it('format 2, read in full', () => {
    expect(retainedPerEntry(project(serializeRegistry(entries())))).toBeLessThanOrEqual(BUDGET_BYTES_PER_ENTRY);
  });

  it('format 2, vouched for by the load cache (a warm open)', () => {
    const root = project(serializeRegistry(entries()));
    const stateDir = path.join(root, '.packer');
    const cache = new RegistryLoadCache(stateDir, root);
    const first = new RegistryFileStore(root, REGISTRY_FILE, cache);
    expect(first.load().state).toBe('ok');
    const verdict = first.verdict();
    if (verdict === undefined || verdict === 'later') throw new Error(`Expected a verdict, got ${String(verdict)}.`);
    cache.save(new Map([[REGISTRY_FILE, verdict]]));
    const warm = new RegistryLoadCache(stateDir, root);
    expect(retainedPerEntry(root, warm)).toBeLessThanOrEqual(BUDGET_BYTES_PER_ENTRY);
  });

  it('format 1', () => {
    const text = `${JSON.stringify({ version: 1, assets: entries() }, null, 2)}\n`;
    expect(retainedPerEntry(project(text))).toBeLessThanOrEqual(BUDGET_BYTES_PER_ENTRY);
  });
});

// A write keeps each new entry's line text (to re-serialise only what changes) and the entry the reader would parse
// from it. That parse stayed as a second object per entry, with its own id and path strings, and a cached line object
// per entry, for the daemon's life after a 100k `packer add`; now the entry stands for its parse when they hold the
// same values, and the line lives in the order's columns only. Measured here over 20k new entries: ~680 bytes per
// entry retained by the store before, ~420 after (line text, the columns, the id map and member set).
const WRITE_BUDGET_BYTES_PER_ENTRY = 520;

describe('a registry that wrote new entries keeps one object per entry', () => {
  it('staging and writing 20k new entries retains their lines, not a second copy of each entry', () => {
    const root = project(serializeRegistry([]));
    const store = new RegistryFileStore(root, REGISTRY_FILE);
    expect(store.load().state).toBe('ok');
    // Fresh strings, as a planner makes them (not the literals the reader's parse could share).
    const added = entries().map((entry) => ({ ...entry, id: `${entry.id}`.slice(0), path: [entry.path].join('') }));
    const before = settledHeap();
    store.writeText(store.stage(added).text);
    const retained = (settledHeap() - before) / COUNT;
    expect(store.known().entries).toHaveLength(COUNT);
    expect(retained).toBeLessThanOrEqual(WRITE_BUDGET_BYTES_PER_ENTRY);
  });
});
