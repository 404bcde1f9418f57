import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { PackReader } from '../packs/pack-reader.js';
import { openBuildProject, removeTestProjects } from '../testing/build-test-project.js';
import { runBuild } from './run-build.js';

// Assets whose output is the same (same content, processor and settings) share one job: it runs once, and its
// output or failure is every one of theirs. Most jobs have one asset, stored without a list; these have several.

afterAll(removeTestProjects);

const LEVEL = '{ "name": "level", "tiles": [1, 2, 3] }';

describe('assets that share one output', () => {
  it('are processed once, and each is in the pack with that output', async () => {
    const { root, workspace } = await openBuildProject({
      'assets/a/level.json': LEVEL,
      'assets/b/level.json': LEVEL,
      'assets/c/level.json': LEVEL,
      'assets/other.json': '{"other":true}',
      'assets/readme.txt': 'hello\n',
    });
    try {
      const report = await runBuild(workspace, { concurrency: 2 });
      expect(report.counts).toEqual({ processed: 3, cached: 2, failed: 0 });
      const reader = await PackReader.open(path.join(root, report.packs[0]!.file));
      try {
        const names = reader.entries.map((entry) => entry.name).sort();
        expect(names).toEqual(['a/level.json', 'b/level.json', 'c/level.json', 'other.json', 'readme.txt']);
        const levels = await Promise.all(
          ['a', 'b', 'c'].map(async (folder) => (await reader.read(`${folder}/level.json`)).toString()),
        );
        expect(levels).toEqual(Array(3).fill(JSON.stringify(JSON.parse(LEVEL))));
      } finally {
        await reader.close();
      }
    } finally {
      await workspace.close();
    }
  });

  it('fail together: one PROCESSOR_FAILED per asset, in path order', async () => {
    const broken = '{ "name": ';
    const { workspace } = await openBuildProject({
      'assets/b/broken.json': broken,
      'assets/a/broken.json': broken,
      'assets/ok.json': '{}',
    });
    try {
      const failure = await runBuild(workspace).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PackerError);
      const data = (failure as PackerError).data as { blockers: { code: string; path: string }[] };
      expect(data.blockers.map((item) => [item.code, item.path])).toEqual([
        ['PROCESSOR_FAILED', 'assets/a/broken.json'],
        ['PROCESSOR_FAILED', 'assets/b/broken.json'],
      ]);
    } finally {
      await workspace.close();
    }
  });
});
