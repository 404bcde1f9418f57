import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { packFilesOf } from '../packs/pack-files.js';
import { packBytes, removeTestProjects, trackTestProject } from '../testing/build-test-project.js';
import { Workspace } from '../workspace/workspace.js';
import { runBuild } from './run-build.js';

afterAll(removeTestProjects);

describe('a build with a damaged output cache index', () => {
  it('discards the index with a storage warning, processes what it needs again and writes the same pack', async () => {
    const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
    try {
      await runBuild(ws);
      const good = packBytes(ws.root, 'core')!;
      const index = path.join(ws.stateDir, 'cache', 'index.lmdb');
      writeFileSync(index, Buffer.alloc(readFileSync(index).length, 0xa5));
      rmSync(packFilesOf(ws.root, ws.config, 'core').pack);
      vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

      const report = await runBuild(ws, { packs: ['core'] });
      expect(report.counts).toEqual({ processed: 15, cached: 0, failed: 0 });
      expect(packBytes(ws.root, 'core')!.equals(good)).toBe(true);
      expect(ws.storageWarnings()).toContainEqual(
        expect.objectContaining({
          store: 'output-cache',
          path: index,
          message: expect.stringContaining('Discarded a damaged output cache index') as string,
        }),
      );
      // The fresh index holds this build's outputs.
      rmSync(packFilesOf(ws.root, ws.config, 'core').pack);
      expect((await runBuild(ws, { packs: ['core'] })).counts).toEqual({ processed: 0, cached: 15, failed: 0 });
    } finally {
      vi.restoreAllMocks();
      await ws.close();
    }
  });
});
