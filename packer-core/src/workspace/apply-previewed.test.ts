import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../contract/mutation-schema.js';
import { REGISTRY_FILE } from '../registry/registry-store.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

// Applying what was previewed (the daemon's `mutation.apply { planId }`): at the preview's own revision the preview
// is the plan that commits, so the ids it showed are the ids registered, and a 100,000-file add is not planned twice
// (issue 11). When the revision moved, the mutation is planned again and must do the same thing. The registry write
// check always runs on the file modes of the moment of the apply, whatever the preview said.

const FILES = { 'assets/a.txt': 'a', 'assets/b.txt': 'b', 'assets/ui/c.txt': 'c' };
const ADD = { type: 'register', paths: ['assets'] } as const;

const opened: Workspace[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((ws) => ws.close()));
});

async function open(): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(FILES);
  const ws = await Workspace.open(root);
  opened.push(ws);
  return { root, ws };
}

function addedIds(plan: Plan): string[] {
  return plan.registryMutations.flatMap((change) => (change.op === 'add' ? [change.entry.id] : []));
}

describe('applying a previewed plan', () => {
  it('at its own revision registers the ids the preview showed', async () => {
    const { ws } = await open();
    const preview = ws.preview(ADD, { remember: false });
    const ids = addedIds(preview);
    expect(ids).toHaveLength(3);
    const result = await ws.apply(ADD, { expectedRevision: preview.baseRevision, previewed: preview });
    expect(addedIds(result.plan)).toEqual(ids);
    expect(ws.snapshot.assets.map((asset) => asset.id).sort()).toEqual([...ids].sort());
  });

  it('after the revision moved, plans again: the same files, new provisional ids, no conflict', async () => {
    const { root, ws } = await open();
    const preview = ws.preview({ type: 'register', paths: ['assets/ui'] }, { remember: false });
    // An unrelated change elsewhere moves the revision without changing what this plan does.
    writeFileSync(path.join(root, 'assets/other.txt'), 'other');
    await ws.refresh(['assets/other.txt']);
    expect(ws.snapshot.revision).not.toBe(preview.baseRevision);
    const result = await ws.apply(
      { type: 'register', paths: ['assets/ui'] },
      { expectedRevision: preview.baseRevision, previewed: preview },
    );
    expect(addedIds(result.plan)).toHaveLength(1);
    expect(addedIds(result.plan)).not.toEqual(addedIds(preview));
    expect(ws.snapshot.assets.map((asset) => asset.path)).toEqual(['assets/ui/c.txt']);
  });

  it('a file that changed under the previewed folder since the preview is planned again, never committed stale', async () => {
    const { root, ws } = await open();
    const preview = ws.preview(ADD, { remember: false });
    // Not seen by any watcher: only the apply's own look at what the plan reads finds it.
    writeFileSync(path.join(root, 'assets/d.txt'), 'd');
    const error = await packerErrorOf(ws.apply(ADD, { expectedRevision: preview.baseRevision, previewed: preview }));
    expect(error.code).toBe('CONFLICT');
    expect(String(error.data.changes)).toContain('assets/d.txt');
    expect(ws.snapshot.assets).toEqual([]);
  });

  it('checks the registry file mode at the apply, not at the preview', async () => {
    const { root, ws } = await open();
    await ws.apply({ type: 'register', paths: ['assets/a.txt'] });
    const registry = path.join(root, REGISTRY_FILE);
    const addB = { type: 'register', paths: ['assets/b.txt'] } as const;
    chmodSync(registry, 0o444);
    const blocked = ws.preview(addB, { remember: false });
    expect(blocked.blockers.map((blocker) => blocker.code)).toEqual(['REGISTRY_READ_ONLY']);
    // Made writable after the preview: the apply goes ahead, as the preview's hint said it would.
    chmodSync(registry, 0o644);
    const result = await ws.apply(addB, { expectedRevision: blocked.baseRevision, previewed: blocked });
    expect(result.plan.blockers).toEqual([]);
    expect(ws.snapshot.assets).toHaveLength(2);

    // And the other way round: previewed while writable, read-only by the apply.
    const addC = { type: 'register', paths: ['assets/ui/c.txt'] } as const;
    const clear = ws.preview(addC, { remember: false });
    expect(clear.blockers).toEqual([]);
    chmodSync(registry, 0o444);
    const error = await packerErrorOf(ws.apply(addC, { expectedRevision: clear.baseRevision, previewed: clear }));
    expect(error.code).toBe('REGISTRY_READ_ONLY');
    expect(ws.snapshot.assets).toHaveLength(2);
    chmodSync(registry, 0o644);
  });
});
