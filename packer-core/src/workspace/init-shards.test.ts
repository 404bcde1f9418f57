import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dirs.js';
import { initProject, SHARDED_FROM } from './init-project.js';
import { Workspace } from './workspace.js';

function fillAssets(root: string, count: number): void {
  for (let folder = 0; folder * 500 < count; folder++) {
    const dir = path.join(root, 'assets', `set-${folder}`);
    mkdirSync(dir, { recursive: true });
    for (let index = folder * 500; index < Math.min(count, (folder + 1) * 500); index++)
      writeFileSync(path.join(dir, `f${index}.txt`), '');
  }
}

describe('packer init picks the registry layout from the size of the tree', () => {
  it(`${SHARDED_FROM.toLocaleString('en')} files or more: registry.shards 256, an empty packer.registry/ and no packer.registry.json`, async () => {
    const root = makeTempDir('init-shards-');
    fillAssets(root, SHARDED_FROM);
    const result = initProject(root, { engine: 'generic', roots: ['assets'] });
    expect(result.registryShards).toBe(256);
    expect(result.created).toContain('packer.registry/');
    expect(JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8'))).toMatchObject({
      registry: { shards: 256 },
    });
    expect(existsSync(path.join(root, 'packer.registry.json'))).toBe(false);
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.summary).toMatchObject({ assets: 0, untracked: SHARDED_FROM });
    await ws.apply({ type: 'register', paths: ['assets/set-3'] });
    expect(existsSync(path.join(root, 'packer.registry.json'))).toBe(false);
    await ws.close();
  });

  it('fewer files: the default single file, packer.json without a registry setting', () => {
    const root = makeTempDir('init-shards-');
    fillAssets(root, 1200);
    const result = initProject(root, { engine: 'generic', roots: ['assets'] });
    expect(result.registryShards).toBe(1);
    expect(JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8'))).not.toHaveProperty('registry');
    expect(existsSync(path.join(root, 'packer.registry.json'))).toBe(true);
  });
});
