import { renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegistryText } from '../testing/project-state.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

const FILES = { 'assets/real/x.png': 'x', 'assets/hero.png': 'hero' };

describe('register through an in-project folder symlink', () => {
  it.each([
    ['a file below the link', 'assets/link/x.png'],
    ['the link itself', 'assets/link'],
    ['an absolute path through the link', undefined],
  ])('%s is a SYMLINK_IN_PATH blocker and the registry is not written', async (_name, given) => {
    const root = makeTempProject(FILES);
    // `ln -s real assets/link`: it stays inside the project, but the scan does not follow it.
    symlinkSync('real', path.join(root, 'assets/link'));
    const ws = await Workspace.open(root);
    const input = given ?? path.join(root, 'assets/link/x.png');
    const registry = readRegistryText(root);

    const plan = ws.preview({ type: 'register', paths: [input] });
    expect(plan.blockers.map((item) => item.code)).toEqual(['SYMLINK_IN_PATH']);
    expect(plan.blockers[0]!.message).toContain('assets/link');
    expect(plan.registryMutations).toEqual([]);

    const error = await packerErrorOf(ws.apply({ type: 'register', paths: [input] }));
    expect(error.code).toBe('BLOCKED');
    expect((error.data.blockers as { code: string }[]).map((item) => item.code)).toEqual(['SYMLINK_IN_PATH']);
    expect(readRegistryText(root)).toBe(registry);
    await ws.close();
  });

  it('a folder swapped for a symlink after the scan is blocked in the preview, before the watcher catches up', async () => {
    const root = makeTempProject({ 'assets/sub/y.png': 'y', 'assets/other/z.png': 'z' });
    const ws = await Workspace.open(root);
    expect(ws.snapshot.untracked.map((file) => file.path)).toContain('assets/sub/y.png');
    renameSync(path.join(root, 'assets/sub'), path.join(root, 'assets/other/sub'));
    symlinkSync('other/sub', path.join(root, 'assets/sub'));

    const plan = ws.preview({ type: 'register', paths: ['assets/sub/y.png'] });
    expect(plan.blockers).toEqual([expect.objectContaining({ code: 'SYMLINK_IN_PATH', path: 'assets/sub/y.png' })]);
    expect(plan.registryMutations).toEqual([]);
    await ws.close();
  });

  it('a symlinked file inside the project stays registrable (the scan sees it as the file it points to)', async () => {
    const root = makeTempProject(FILES);
    symlinkSync('hero.png', path.join(root, 'assets/hero-link.png'));
    const ws = await Workspace.open(root);
    const result = await ws.apply({ type: 'register', paths: ['assets/hero-link.png'] });
    expect(result.plan.blockers).toEqual([]);
    expect(ws.snapshot.assets.map((asset) => asset.path)).toEqual(['assets/hero-link.png']);
    await ws.close();
  });
});
