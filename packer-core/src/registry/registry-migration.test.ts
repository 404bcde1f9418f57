import { readFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dirs.js';
import { Workspace } from '../workspace/workspace.js';
import { readRegistry } from './registry-codec.js';
import { REGISTRY_HEADER } from './registry-layout.js';
import { REGISTRY_FILE } from './registry-store.js';

describe('a format 1 registry (fixtures/sample-game as committed)', () => {
  it("opens; the first mutation's preview announces the migration, its apply writes format 2, later previews do not", async () => {
    const root = await copyFixture('sample-game', makeTempDir('registry-migration-'));
    const file = path.join(root, REGISTRY_FILE);
    const before = readFileSync(file, 'utf8');
    const v1 = readRegistry(before, REGISTRY_FILE, root);
    expect(v1.version).toBe(1);
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.summary).toMatchObject({ assets: v1.entries.length, missing: 0 });

    // A plan that writes nothing migrates nothing.
    expect(ws.preview({ type: 'update', target: 'assets/backgrounds/sky.png' }).registryMigration).toBeUndefined();
    const mutation = { type: 'update', target: 'assets/backgrounds/sky.png', addTags: ['sky'] } as const;
    const plan = ws.preview(mutation);
    expect(plan.registryMigration).toEqual({ from: 1, to: 2 });
    expect(readFileSync(file, 'utf8')).toBe(before); // a preview writes nothing

    const result = await ws.apply(mutation);
    expect(result.plan.registryMigration).toEqual({ from: 1, to: 2 });
    const after = readFileSync(file, 'utf8');
    expect(after.startsWith(REGISTRY_HEADER + '\n')).toBe(true);
    const v2 = readRegistry(after, REGISTRY_FILE, root);
    expect(v2.version).toBe(2);
    expect(v2.bodies).toHaveLength(v1.entries.length); // one asset per line
    // Same assets, same ids; only the one tag changed.
    const byId = new Map(v2.entries.map((entry) => [entry.id, entry]));
    for (const entry of v1.entries) {
      const expected = entry.path === 'assets/backgrounds/sky.png' ? { ...entry, tags: ['sky'] } : entry;
      expect(byId.get(entry.id)).toEqual(expected);
    }
    expect(
      ws.preview({ type: 'update', target: 'assets/backgrounds/sky.png', addTags: ['blue'] }).registryMigration,
    ).toBeUndefined();
    await ws.close();

    // Reopened, the project is format 2: nothing more to announce.
    const again = await Workspace.open(root);
    expect(
      again.preview({ type: 'update', target: 'assets/backgrounds/sky.png', addTags: ['blue'] }).registryMigration,
    ).toBeUndefined();
    await again.close();
  });
});
