import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { walkCount } from '../scan/scanner.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

const open: Workspace[] = [];
afterEach(async () => {
  for (const workspace of open.splice(0)) await workspace.close();
});

async function openProject(): Promise<{ root: string; workspace: Workspace }> {
  const root = makeTempProject({ 'assets/a.png': 'a', 'assets/b.txt': 'b', 'assets/notes.md': 'n' });
  const workspace = await Workspace.open(root, { env: {} });
  open.push(workspace);
  await workspace.apply({ type: 'register', paths: ['assets/a.png', 'assets/b.txt'] });
  return { root, workspace };
}

function writeConfig(root: string, config: ProjectConfigInput): void {
  writeFileSync(path.join(root, 'packer.json'), JSON.stringify(config, null, 2));
}

/** Reloads packer.json and returns how many full walks of the asset roots that took. */
async function walksOfReload(workspace: Workspace, scanIsCurrent: boolean): Promise<number> {
  const before = walkCount.walks;
  const outcome = await workspace.reloadConfig({ scanIsCurrent });
  expect(outcome.ok).toBe(true);
  return walkCount.walks - before;
}

describe('a config reload walks the files only when the new config walks others', () => {
  it('with a current scan, a new pack rule is in force at once without a walk', async () => {
    const { root, workspace } = await openProject();
    const revision = workspace.snapshot.revision;
    writeConfig(root, { ...TEST_CONFIG, packs: [...TEST_CONFIG.packs!, { name: 'images', include: ['**/*.png'] }] });
    expect(await walksOfReload(workspace, true)).toBe(0);
    expect(workspace.snapshot.revision).toBeGreaterThan(revision);
    expect(workspace.config.packs.map((pack) => pack.name)).toEqual(['all', 'images']);
    expect(workspace.snapshot.untracked.map((file) => file.path)).toEqual(['assets/notes.md']);
  });

  it('with a current scan, a new ignore glob walks again and the file it hides leaves the untracked list', async () => {
    const { root, workspace } = await openProject();
    writeConfig(root, { ...TEST_CONFIG, ignore: [...TEST_CONFIG.ignore!, '**/*.md'] });
    expect(await walksOfReload(workspace, true)).toBe(1);
    expect(workspace.snapshot.untracked).toEqual([]);
  });

  it('without a watcher behind it (an in-process caller), every reload walks and sees files written meanwhile', async () => {
    const { root, workspace } = await openProject();
    writeFileSync(path.join(root, 'assets', 'late.txt'), 'written after the open, seen by no watcher');
    writeConfig(root, { ...TEST_CONFIG, packs: [{ name: 'everything', include: ['assets/**'] }] });
    expect(await walksOfReload(workspace, false)).toBe(1);
    expect(workspace.snapshot.untracked.map((file) => file.path)).toEqual(['assets/late.txt', 'assets/notes.md']);
  });
});
