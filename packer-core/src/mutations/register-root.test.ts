import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

const FILES = { 'assets/a.png': 'a', 'assets/ui/b.txt': 'b', 'other/c.json': '{}' };

describe('registering the project root', () => {
  it('`add .` adopts every untracked file under every asset root, as `git add .` would', async () => {
    const root = makeTempProject(FILES, { ...TEST_CONFIG, assetRoots: ['assets', 'other'] });
    const ws = await Workspace.open(root);
    for (const input of ['.', './', root, path.join(root, '.')]) {
      const plan = ws.preview({ type: 'register', paths: [input] });
      expect(plan.blockers, input).toEqual([]);
      expect(plan.registryMutations.map((item) => (item.op === 'add' ? item.entry.path : '')).sort(), input).toEqual([
        'assets/a.png',
        'assets/ui/b.txt',
        'other/c.json',
      ]);
    }
    await ws.apply({ type: 'register', paths: ['.'] });
    expect(ws.snapshot.untracked).toEqual([]);
    expect(ws.snapshot.assets).toHaveLength(3);
    await ws.close();
  });

  it('works with "." as the asset root, and the packer never adopts its own files', async () => {
    const root = makeTempProject({ 'a.png': 'a', 'sub/b.txt': 'b' }, { ...TEST_CONFIG, assetRoots: ['.'] });
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['.'] });
    expect(ws.snapshot.assets.map((asset) => asset.path).sort()).toEqual(['a.png', 'sub/b.txt']);
    await ws.close();
  });
});
