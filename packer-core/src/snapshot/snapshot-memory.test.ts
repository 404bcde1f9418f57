import { describe, expect, it } from 'vitest';
import { ProjectConfig } from '../contract/config-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { FileStat } from '../scan/scanner.js';
import { TEST_CONFIG } from '../testing/temp-project.js';
import { buildSnapshot } from './build-snapshot.js';
import { PersistentMap } from './persistent-map.js';
import { settledHeap } from '../testing/settled-heap.js';

// Issue 11: the daemon's memory after an open scales with the registered assets, so what one published state holds
// per asset is budgeted. Measured over 20k synthetic assets (registered, present, hashed), heap retained by the state
// alone (registry entries, paths, ids and digests are made before the baseline and not counted): ~500 bytes per
// asset while a path's claims and its lower-case group were arrays (two per path, one of them grown by push with room
// for 17), ~255 since a lone item is stored alone (one-or-many.ts).

const COUNT = 20_000;
const BUDGET_BYTES_PER_ASSET = 380;

describe('memory of a published snapshot state', () => {
  it(`holds at most ${BUDGET_BYTES_PER_ASSET} bytes per registered asset beyond the entries themselves`, () => {
    const config = ProjectConfig.parse(TEST_CONFIG);
    const paths: string[] = [];
    for (let index = 0; index < COUNT; index++)
      paths.push(`assets/f${String(index % 50).padStart(2, '0')}/file-${String(index).padStart(6, '0')}.txt`);
    paths.sort();
    const entries: RegistryEntry[] = paths.map((entryPath, index) =>
      Object.freeze({
        id: `a_01HZZZZZZZZZZZZZ${String(index).padStart(10, '0')}`,
        path: entryPath,
        kind: 'text',
        settings: Object.freeze({}),
        tags: Object.freeze([]) as unknown as string[],
      }),
    );
    const stats = new Map<string, FileStat>(
      paths.map((entryPath, index) => [entryPath, { size: 100 + index, mtimeMs: 1.7e12 + index + 0.5, ino: index }]),
    );
    const digests = new Map(paths.map((entryPath, index) => [entryPath, index.toString(16).padStart(64, '0')]));
    const files = PersistentMap.fromMap(stats);

    const before = settledHeap();
    const state = buildSnapshot({
      revision: 1,
      config,
      registry: { state: 'ok', entries, text: null },
      files,
      escapes: [],
      digests: { get: (relative) => digests.get(relative), lastKnown: () => undefined },
      lastBuilds: [],
      extraDiagnostics: [],
    });
    const perAsset = (settledHeap() - before) / COUNT;

    expect(state.snapshot.summary.assets).toBe(COUNT);
    expect(state.byPath.get(paths[7]!)?.observation?.digest).toBe(digests.get(paths[7]!));
    expect(perAsset).toBeLessThanOrEqual(BUDGET_BYTES_PER_ASSET);
  });
});
