import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

const FILES = {
  'assets/a.png': 'a',
  'assets/gone.png': 'gone',
  'extra/b.png': 'b',
  'extra/sub/c.png': 'c',
};

describe('reconcile after narrowing assetRoots', () => {
  it('never drops an asset whose file is still on disk; it blocks on it and names it', async () => {
    const root = makeTempProject(FILES, { ...TEST_CONFIG, assetRoots: ['assets', 'extra'] });
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: Object.keys(FILES) });
    const ids = new Map(ws.snapshot.assets.map((asset) => [asset.path, asset.id]));
    expect(ids.size).toBe(4);

    // Narrow the roots to `assets`, delete one file for real and add an untracked one.
    writeFileSync(path.join(root, 'packer.json'), JSON.stringify({ ...TEST_CONFIG, assetRoots: ['assets'] }, null, 2));
    rmSync(path.join(root, 'assets/gone.png'));
    writeFileSync(path.join(root, 'assets/new.png'), 'new');
    const reloaded = await ws.reloadConfig();
    expect(reloaded.ok).toBe(true);

    const plan = ws.preview({ type: 'reconcile' });
    const removed = plan.registryMutations.flatMap((item) => (item.op === 'remove' ? [item.entry.path] : []));
    expect(removed).toEqual(['assets/gone.png']);
    expect(
      plan.registryMutations.filter((item) => item.op === 'add').map((item) => item.op === 'add' && item.entry.path),
    ).toEqual(['assets/new.png']);
    expect(plan.blockers.map((item) => [item.code, item.path]).sort()).toEqual([
      ['INVALID_PATH', 'extra/b.png'],
      ['INVALID_PATH', 'extra/sub/c.png'],
    ]);
    for (const blocker of plan.blockers) {
      expect(blocker.message).toContain('outside every asset root');
      expect(blocker.assetId).toBe(ids.get(blocker.path!));
    }

    // The whole plan is refused, so nothing is lost by `reconcile --yes`.
    const refused = await ws.apply({ type: 'reconcile' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(PackerError);
    expect((refused as PackerError).code).toBe('BLOCKED');

    // The other proposals still apply on their own.
    const result = await ws.apply({ type: 'reconcile', include: ['adopt', 'relink'] });
    expect(result.plan.blockers).toEqual([]);
    const paths = ws.snapshot.assets.map((asset) => asset.path).sort();
    expect(paths).toEqual(['assets/a.png', 'assets/gone.png', 'assets/new.png', 'extra/b.png', 'extra/sub/c.png']);
    expect(ws.snapshot.assets.find((asset) => asset.path === 'extra/b.png')!.id).toBe(ids.get('extra/b.png'));
    expect(existsSync(path.join(root, 'extra/b.png'))).toBe(true);
    expect(existsSync(path.join(root, 'extra/sub/c.png'))).toBe(true);
    await ws.close();

    // Restoring the root makes them plain registered assets again, ids intact.
    writeFileSync(
      path.join(root, 'packer.json'),
      JSON.stringify({ ...TEST_CONFIG, assetRoots: ['assets', 'extra'] }, null, 2),
    );
    const reopened = await Workspace.open(root);
    expect(reopened.snapshot.assets.find((asset) => asset.path === 'extra/sub/c.png')!.id).toBe(
      ids.get('extra/sub/c.png'),
    );
    await reopened.close();
  });
});
