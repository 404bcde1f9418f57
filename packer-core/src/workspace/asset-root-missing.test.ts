import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

async function workspace(roots: string[]): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject({ 'assets/a.txt': 'a' }, { ...TEST_CONFIG, assetRoots: roots });
  const ws = await Workspace.open(root);
  open.push(ws);
  return { root, ws };
}

const missingRoots = (ws: Workspace): (string | undefined)[] =>
  ws.snapshot.diagnostics.filter((item) => item.code === 'ASSET_ROOT_MISSING').map((item) => item.path);

describe('ASSET_ROOT_MISSING', () => {
  it('names each asset root that is not on disk, and clears when the folder appears, even empty', async () => {
    const { root, ws } = await workspace(['assets', 'nope', 'art/typo']);
    expect(missingRoots(ws)).toEqual(['nope', 'art/typo']);
    const [first] = ws.snapshot.diagnostics.filter((item) => item.code === 'ASSET_ROOT_MISSING');
    expect(first).toMatchObject({ severity: 'warning', message: expect.stringContaining('does not exist') });
    expect(first!.hint).toContain('"assetRoots"');

    mkdirSync(path.join(root, 'nope'));
    await ws.refresh(['nope']);
    expect(missingRoots(ws)).toEqual(['art/typo']);
    rmdirSync(path.join(root, 'nope'));
    await ws.refresh(['nope']);
    expect(missingRoots(ws)).toEqual(['nope', 'art/typo']);
  });

  it('says when a root is a file, and never flags "."', async () => {
    const { root, ws } = await workspace(['.', 'assets', 'file-root']);
    expect(missingRoots(ws)).toEqual(['file-root']);
    writeFileSync(path.join(root, 'file-root'), 'x');
    await ws.refresh(['file-root']);
    const [item] = ws.snapshot.diagnostics.filter((d) => d.code === 'ASSET_ROOT_MISSING');
    expect(item?.message).toContain('is not a folder');
  });
});
