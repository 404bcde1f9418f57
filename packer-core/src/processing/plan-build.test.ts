import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import type { PackerError } from '../contract/errors.js';
import { Workspace } from '../workspace/workspace.js';
import {
  BUILD_TEST_CONFIG,
  buildOutputs,
  openBuildProject,
  removeTestProjects,
  trackTestProject,
} from '../testing/build-test-project.js';
import { makeTempProject } from '../testing/temp-project.js';
import { selectionPasses } from './pack-selection.js';
import { describePlan, planBuild } from './plan-build.js';
import { runBuild } from './run-build.js';

afterAll(removeTestProjects);

const codes = (items: readonly { code: string }[]): string[] => [...new Set(items.map((item) => item.code))].sort();

async function blockedBuild(workspace: Workspace): Promise<PackerError> {
  const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
  expect(error.code).toBe('BLOCKED');
  expect(buildOutputs(workspace.root)).toEqual({});
  return error;
}

describe('planBuild', () => {
  it('re-plans a content edit without selecting again, and a retag by selecting again; both as planned from scratch', async () => {
    const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
    const entriesOf = (plan: ReturnType<typeof planBuild>) =>
      plan.packs.map((pack) => [
        pack.name,
        pack.planned().entries.map((entry) => `${entry.assetId} ${entry.cacheKey}`),
      ]);
    const fromScratch = async () => {
      const fresh = await Workspace.open(ws.root);
      try {
        return entriesOf(planBuild(fresh.state));
      } finally {
        await fresh.close();
      }
    };
    const first = planBuild(ws.state);
    const settings = 'assets/data/game-settings.json';
    writeFileSync(path.join(ws.root, settings), '{"edited": true}\n');
    await ws.refresh([settings]);
    let passes = selectionPasses.passes;
    const edited = planBuild(ws.state);
    expect(selectionPasses.passes - passes).toBe(0);
    expect(entriesOf(edited)).not.toEqual(entriesOf(first));
    expect(entriesOf(edited)).toEqual(await fromScratch());
    // A pack the edited file is not in keeps its pack plan (counts, findings, fingerprint).
    const core = (plan: typeof first) => plan.packs.find((pack) => pack.name === 'core')!;
    const sprites = (plan: typeof first) => plan.packs.find((pack) => pack.name === 'sprites')!;
    expect(core(edited)).not.toBe(core(first));
    expect(sprites(edited)).toBe(sprites(first));

    await ws.apply({ type: 'update', target: 'assets/sprites/enemies/bat.png', addTags: ['ui'] });
    passes = selectionPasses.passes;
    const retagged = planBuild(ws.state);
    expect(selectionPasses.passes - passes).toBe(ws.config.packs.length);
    expect(
      retagged.packs
        .find((pack) => pack.name === 'ui')!
        .planned()
        .entries.map((entry) => entry.path),
    ).toContain('assets/sprites/enemies/bat.png');
    expect(entriesOf(retagged)).toEqual(await fromScratch());
    await ws.close();
  });

  it('selects assets by path globs, kinds and tags, with output names relative to the asset root', async () => {
    const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
    const plan = planBuild(ws.state);
    const names = Object.fromEntries(
      plan.packs.map((pack) => [
        pack.name,
        pack
          .planned()
          .entries.map((entry) => entry.name)
          .sort(),
      ]),
    );
    expect(names.sprites).not.toContain('sprites/ui/button.png');
    expect(names.sprites).toContain('sprites/enemies/bat.png');
    expect(names.ui).toContain('sprites/ui/button.png');
    expect(names.core!.every((name) => /^(data|text|bin)\//.test(name))).toBe(true);
    expect(names.level1!.length).toBeGreaterThan(0);
    for (const pack of plan.packs) {
      const { entries } = pack.planned();
      expect(entries.map((entry) => entry.assetId)).toEqual(entries.map((entry) => entry.assetId).sort());
      expect(pack.count).toBe(entries.length);
      expect(pack.inputBytes).toBe(entries.reduce((sum, entry) => sum + entry.size, 0));
    }
    expect(plan.blockers).toEqual([]);
    expect(describePlan(planBuild(ws.state, { packs: ['ui'] })).packs).toEqual([
      { name: 'ui', entries: names.ui!.length, inputBytes: expect.any(Number) },
    ]);
    expect(() => planBuild(ws.state, { packs: ['nope'] })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('blocks two assets with one output name in a pack', async () => {
    const config: ProjectConfigInput = {
      ...BUILD_TEST_CONFIG,
      assetRoots: ['assets', 'more'],
      packs: [{ name: 'all', include: ['**'] }],
    };
    const { workspace } = await openBuildProject(
      { 'assets/a.txt': 'one', 'more/a.txt': 'two', 'more/b.txt': 'three' },
      config,
    );
    await workspace.apply({ type: 'register', paths: ['more'] });
    const error = await blockedBuild(workspace);
    // One diagnostic per problem, listing every asset involved (it was one per asset).
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'DUPLICATE_OUTPUT',
        path: 'assets/a.txt',
        subjects: [expect.objectContaining({ path: 'assets/a.txt' }), expect.objectContaining({ path: 'more/a.txt' })],
      }),
    ]);
  });

  it('blocks two packs with one name (they would write one file)', async () => {
    const { workspace } = await openBuildProject(
      { 'assets/a.txt': 'one' },
      {
        ...BUILD_TEST_CONFIG,
        packs: [
          { name: 'all', include: ['**'] },
          { name: 'all', include: ['assets/**'] },
        ],
      },
    );
    const error = await blockedBuild(workspace);
    expect(error.data.blockers).toEqual([expect.objectContaining({ code: 'DUPLICATE_OUTPUT', path: 'packer.json' })]);
  });

  it('blocks a processor that is not built in and not a declared tool (deny by default)', async () => {
    const config: ProjectConfigInput = {
      ...BUILD_TEST_CONFIG,
      kinds: { ...BUILD_TEST_CONFIG.kinds, image: { extensions: ['.png'], processor: 'optipng' } },
    };
    const { workspace } = await openBuildProject({ 'assets/a.png': 'x', 'assets/b.txt': 'y' }, config);
    const error = await blockedBuild(workspace);
    expect(codes(error.data.blockers as { code: string }[])).toEqual(['PROCESSOR_NOT_ALLOWED']);
  });

  it('blocks a tool template with an unknown placeholder, and an asset missing a setting the template needs', async () => {
    const config: ProjectConfigInput = {
      ...BUILD_TEST_CONFIG,
      kinds: {
        ...BUILD_TEST_CONFIG.kinds,
        image: { extensions: ['.png'], processor: 'resize', settings: { width: 'number' } },
      },
      tools: {
        resize: { command: 'cp', args: ['{input}', '{output}', '{setting.width}'] },
        broken: { command: 'cp', args: ['{inptu}', '{output}'] },
      },
    };
    const { workspace } = await openBuildProject({ 'assets/a.png': 'x' }, config);
    expect(codes((await blockedBuild(workspace)).data.blockers as { code: string }[])).toEqual(['INVALID_SETTINGS']);
    writeFileSync(
      path.join(workspace.root, 'packer.json'),
      JSON.stringify({ ...config, kinds: { ...config.kinds, image: { extensions: ['.png'], processor: 'broken' } } }),
    );
    await workspace.reloadConfig();
    expect(codes((await blockedBuild(workspace)).data.blockers as { code: string }[])).toEqual(['INVALID_TOOL']);
  });

  it('blocks every build while the registry is read-only', async () => {
    const { workspace } = await openBuildProject({ 'assets/a.txt': 'x' });
    writeFileSync(path.join(workspace.root, 'packer.registry.json'), '{ "version": 1, "assets": [ oops');
    await workspace.reloadRegistry();
    expect(codes((await blockedBuild(workspace)).data.blockers as { code: string }[])).toEqual(['INVALID_REGISTRY']);
  });

  it('blocks a pack that selects nothing, naming the filter, and never replaces a full pack with an empty one', async () => {
    const config: ProjectConfigInput = { ...BUILD_TEST_CONFIG, packs: [{ name: 'all', include: ['assets/**'] }] };
    const { workspace } = await openBuildProject({ 'assets/a.txt': 'x' }, config);
    const first = await runBuild(workspace);
    const before = buildOutputs(workspace.root);
    expect(first.packs[0]).toMatchObject({ status: 'written', entries: 1 });
    // The typo of the issue: an include glob that selects nothing.
    writeFileSync(
      path.join(workspace.root, 'packer.json'),
      JSON.stringify({ ...config, packs: [{ name: 'all', include: ['asets/**'] }] }),
    );
    await workspace.reloadConfig();
    const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
    expect(error.code).toBe('BLOCKED');
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'EMPTY_PACK',
        message: expect.stringContaining('include "asets/**" matches none of the 1 registered assets'),
      }),
    ]);
    expect(buildOutputs(workspace.root)).toEqual(before);
    // A tag nobody carries: tags are free-form, so only the registry can tell; the pack is empty, so it blocks.
    writeFileSync(
      path.join(workspace.root, 'packer.json'),
      JSON.stringify({ ...config, packs: [{ name: 'all', tags: ['ui'] }] }),
    );
    await workspace.reloadConfig();
    expect(planBuild(workspace.state).blockers).toEqual([
      expect.objectContaining({
        code: 'EMPTY_PACK',
        message: expect.stringContaining('no registered asset carries tag "ui"'),
      }),
    ]);
  });

  it('a project with nothing registered yet is not blocked by its empty packs (check passes right after init)', async () => {
    const workspace = await Workspace.open(trackTestProject(makeTempProject({})));
    expect(workspace.snapshot.assets).toEqual([]);
    expect(planBuild(workspace.state).blockers).toEqual([]);
    await workspace.close();
  });

  it('builds an empty pack only when the pack says allowEmpty, and warns about a filter that matches nothing beside others', async () => {
    const config: ProjectConfigInput = {
      ...BUILD_TEST_CONFIG,
      packs: [
        { name: 'all', include: ['assets/**', 'asets/**'], tags: ['x', 'typo'] },
        { name: 'none', include: ['nothing/**'], allowEmpty: true },
      ],
    };
    const { workspace } = await openBuildProject({ 'assets/a.txt': 'x' }, config);
    await workspace.apply({ type: 'update', target: 'assets/a.txt', addTags: ['x'] });
    const report = await runBuild(workspace);
    expect(report.warnings).toEqual([
      expect.objectContaining({
        code: 'UNMATCHED_FILTER',
        message: 'Pack "all": include "asets/**", tag "typo" match no registered asset.',
      }),
    ]);
    expect(report.packs.find((pack) => pack.pack === 'all')).toMatchObject({ status: 'written', entries: 1 });
    expect(report.packs.find((pack) => pack.pack === 'none')).toMatchObject({ status: 'written', entries: 0 });
  });
});
