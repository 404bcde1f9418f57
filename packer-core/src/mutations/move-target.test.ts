import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

// `mv file existing-folder` goes into the folder (as `mv` does), and the plan says so; other edges of the move planner.

const files = {
  'assets/hero.png': 'png-bytes-hero',
  'assets/ui/button.png': 'png-bytes-button',
  'assets/sprites/tree.png': 'png-bytes-tree',
};

const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

async function registered(): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(files);
  const ws = await Workspace.open(root);
  open.push(ws);
  await ws.apply({ type: 'register', paths: ['assets'] });
  return { root, ws };
}

const codes = (items: readonly { code: string }[]): string[] => items.map((item) => item.code);

describe('move into an existing folder', () => {
  it('a file moved onto an existing folder (no trailing slash) lands at folder/<name>, keeps its id, and the plan says so', async () => {
    const { root, ws } = await registered();
    const hero = ws.state.byPath.get('assets/hero.png')!;
    const plan = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/sprites' });
    expect(plan.blockers).toEqual([]);
    expect(plan.warnings).toEqual([
      expect.objectContaining({ code: 'MOVE_INTO_FOLDER', severity: 'info', path: 'assets/sprites/hero.png' }),
    ]);
    expect(plan.filesystemMutations).toEqual([{ op: 'move', from: 'assets/hero.png', to: 'assets/sprites/hero.png' }]);
    await ws.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/sprites' });
    expect(ws.state.byId.get(hero.id)?.path).toBe('assets/sprites/hero.png');
    expect(existsSync(path.join(root, 'assets/sprites/hero.png'))).toBe(true);
  });

  it('an empty folder counts too (it is on disk, though no file is observed in it)', async () => {
    const { root, ws } = await registered();
    mkdirSync(path.join(root, 'assets/empty'));
    const plan = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/empty' });
    expect(plan.filesystemMutations).toEqual([{ op: 'move', from: 'assets/hero.png', to: 'assets/empty/hero.png' }]);
  });

  it('a folder moved onto an existing folder goes inside it, with its name', async () => {
    const { ws } = await registered();
    const plan = ws.preview({ type: 'move', from: 'assets/ui', to: 'assets/sprites' });
    expect(plan.blockers).toEqual([]);
    expect(plan.filesystemMutations).toEqual([{ op: 'move', from: 'assets/ui', to: 'assets/sprites/ui' }]);
    expect(plan.registryMutations).toEqual([
      expect.objectContaining({
        op: 'update',
        after: expect.objectContaining({ path: 'assets/sprites/ui/button.png' }),
      }),
    ]);
  });

  it('a destination that does not exist is still a rename, and a file there is still TARGET_EXISTS', async () => {
    const { ws } = await registered();
    expect(ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/villain.png' }).filesystemMutations).toEqual(
      [{ op: 'move', from: 'assets/hero.png', to: 'assets/villain.png' }],
    );
    expect(ws.preview({ type: 'move', from: 'assets/ui', to: 'assets/interface' }).filesystemMutations).toEqual([
      { op: 'move', from: 'assets/ui', to: 'assets/interface' },
    ]);
    const onto = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/sprites/tree.png' });
    expect(codes(onto.blockers)).toEqual(['TARGET_EXISTS']);
  });

  it('a folder moved onto itself is still no change, not "into itself"', async () => {
    const { ws } = await registered();
    expect(codes(ws.preview({ type: 'move', from: 'assets/ui', to: 'assets/ui' }).warnings)).toEqual(['NO_CHANGE']);
  });

  it('a symlink to a folder is not a folder to move into: the symlink refusal stands', async () => {
    const { root, ws } = await registered();
    symlinkSync(path.join(root, 'assets/sprites'), path.join(root, 'assets/link'));
    const plan = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/link' });
    expect(codes(plan.warnings)).not.toContain('MOVE_INTO_FOLDER');
    expect(plan.blockers.length).toBeGreaterThan(0);
    expect(plan.filesystemMutations).toEqual([]);
  });
});

describe('move onto an existing file', () => {
  it('reports TARGET_EXISTS only: no CASE_COLLISION for the very same path', async () => {
    const { root, ws } = await registered();
    const ontoRegistered = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/sprites/tree.png' });
    expect(codes(ontoRegistered.blockers)).toEqual(['TARGET_EXISTS']);
    expect(codes(ontoRegistered.warnings)).toEqual([]);
    writeFileSync(path.join(root, 'assets/loose.png'), 'png-untracked');
    await ws.refresh();
    const ontoUntracked = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/loose.png' });
    expect(codes(ontoUntracked.blockers)).toEqual(['TARGET_EXISTS']);
    expect(codes(ontoUntracked.warnings)).toEqual([]);
  });

  it('a real case collision is still reported', async () => {
    const { ws } = await registered();
    const plan = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/sprites/Tree.png' });
    expect(codes(plan.warnings)).toContain('CASE_COLLISION');
  });

  it('a missing asset moved onto an untracked file: the hints point to packer relink with the id and the path', async () => {
    const { root, ws } = await registered();
    const hero = ws.state.byPath.get('assets/hero.png')!;
    rmSync(path.join(root, 'assets/hero.png'));
    writeFileSync(path.join(root, 'assets/hero-renamed.png'), 'png-bytes-hero, edited');
    await ws.refresh();
    const plan = ws.preview({ type: 'move', from: hero.id, to: 'assets/hero-renamed.png' });
    expect(codes(plan.blockers).sort()).toEqual(['MISSING_FILE', 'TARGET_EXISTS']);
    for (const blocker of plan.blockers)
      expect(blocker.hint).toBe(
        `If assets/hero-renamed.png is this asset renamed outside the packer, keep its id with \`packer relink ${hero.id} assets/hero-renamed.png\`.`,
      );
  });
});
