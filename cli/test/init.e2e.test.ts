import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { AssetListItem } from '@packer/core/contract';
import { GODOT_IGNORED_FILES, writeEngineFixture, type EngineFixture } from '@packer/fixtures';
import { packer } from './support/packer-bin.js';
import { disposeProject, emptyFolder } from './support/temp-project.js';

// `packer init` adopting real-shaped projects, through the real bin. Listing runs --no-daemon: the point is what
// the scan offers, and a daemon per test would only cost start-ups.

type InitJson = {
  root: string;
  created: string[];
  engine: string;
  detectedBy: string;
  assetRoots: string[];
  kinds: Record<string, string[]>;
  ignore: string[];
  sidecars: string[];
  gitignore: boolean;
  buildDir: string;
  gitignored: string[];
  schema: string;
};
type LsJson = { total: number; items: AssetListItem[] };
type ErrorJson = { error: { code: string; message: string; data: Record<string, unknown> } };

async function engineProject(name: EngineFixture, onFinished: (fn: () => Promise<void>) => void): Promise<string> {
  const root = writeEngineFixture(name);
  onFinished(() => disposeProject(root));
  return root;
}

async function untracked(root: string): Promise<Map<string, string>> {
  const run = await packer(root, ['ls', '--status', 'untracked', '--json', '--no-daemon']);
  if (run.code !== 0) throw new Error(`packer ls failed: ${run.stderr}`);
  return new Map(run.json<LsJson>().items.map((item) => [item.path, item.kind]));
}

describe.concurrent('packer init adopts a project', { timeout: 60_000 }, () => {
  test('a Godot project: root ".", .godot/ and the packer\'s own files never offered, Godot kinds and sidecars', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await engineProject('godot-game', onTestFinished);
    const init = await packer(root, ['init', '--json']);
    expect(init.code).toBe(0);
    const result = init.json<InitJson>();
    expect(result).toMatchObject({
      engine: 'godot',
      detectedBy: 'project.godot',
      assetRoots: ['.'],
      sidecars: ['{path}.import', '{path}.uid'],
      gitignore: true,
      buildDir: 'build',
    });
    expect(result.ignore).toEqual(expect.arrayContaining(['.godot/**', '**/.gdignore']));
    expect(result.kinds.scene).toEqual(['.tscn', '.scn']);

    const config = JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8'));
    expect(config).toMatchObject({
      $schema: './.packer/packer.schema.json',
      assetRoots: ['.'],
      gitignore: true,
      sidecars: ['{path}.import', '{path}.uid'],
    });
    expect(
      JSON.parse(readFileSync(path.join(root, '.packer/packer.schema.json'), 'utf8')).properties.sidecars.description,
    ).toMatch(/Godot/);
    const gitignore = readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n');
    expect(gitignore).toEqual(expect.arrayContaining(['.godot/', '.packer/', '/build/']));
    expect(result.gitignored).toEqual(['.packer/', '/build/', '.packer-cookie-*']);

    const files = await untracked(root);
    expect(files.get('sprites/hero.png')).toBe('image');
    expect(files.get('scenes/main.tscn')).toBe('scene');
    expect(files.get('scripts/player.gd')).toBe('script');
    expect(files.get('audio/jump.wav')).toBe('audio');
    expect(files.get('icon.svg')).toBe('vector');
    for (const own of ['packer.json', 'packer.registry.json', '.gitignore', ...GODOT_IGNORED_FILES])
      expect(files.has(own), own).toBe(false);
    expect([...files.keys()].filter((file) => file.startsWith('.packer/') || file.endsWith('.gdignore'))).toEqual([]);
    // Besides the sidecars (the sidecar rules' business), every file has a kind of its own.
    expect([...files].filter(([file, kind]) => kind === 'other' && !/\.(import|uid)$/.test(file))).toEqual([]);

    // The human report says what was decided.
    const again = await engineProject('godot-game', onTestFinished);
    const human = await packer(again, ['init']);
    expect(human.stdout).toContain('Created a godot packer project');
    expect(human.stdout).toContain('asset roots: .');
    expect(human.stdout).toContain('sidecars:    {path}.import, {path}.uid');
  });

  test("a Unity project: Assets/ as the root, .meta sidecars, generated folders ignored, packs beside Unity's Build/", async ({
    expect,
    onTestFinished,
  }) => {
    const root = await engineProject('unity-game', onTestFinished);
    const result = (await packer(root, ['init', '--json'])).json<InitJson>();
    expect(result).toMatchObject({
      engine: 'unity',
      detectedBy: 'Assets/ and ProjectSettings/',
      assetRoots: ['Assets'],
      sidecars: ['{path}.meta'],
      buildDir: 'PackerBuild',
    });
    expect(result.ignore).toEqual(expect.arrayContaining(['Library/**', 'Temp/**', 'Logs/**', 'obj/**', 'Build/**']));
    const files = await untracked(root);
    expect(files.get('Assets/Prefabs/Hero.prefab')).toBe('scene');
    expect(files.get('Assets/Materials/Hero.mat')).toBe('resource');
    expect(files.get('Assets/Scripts/Player.cs')).toBe('script');
    expect([...files.keys()].every((file) => file.startsWith('Assets/'))).toBe(true);
  });

  test('a generic folder: files already there are adopted from ".", an empty one gets assets/; --root and --kind override', async ({
    expect,
    onTestFinished,
  }) => {
    const full = await emptyFolder(onTestFinished);
    mkdirSync(path.join(full, 'art'));
    writeFileSync(path.join(full, 'art/hero.png'), 'png');
    writeFileSync(path.join(full, 'level.ldtk'), '{}');
    const adopted = (await packer(full, ['init', '--json'])).json<InitJson>();
    expect(adopted).toMatchObject({ engine: 'generic', assetRoots: ['.'] });
    expect(await untracked(full)).toEqual(
      new Map([
        ['art/hero.png', 'image'],
        ['level.ldtk', 'other'],
      ]),
    );

    const empty = await emptyFolder(onTestFinished);
    const fresh = (await packer(empty, ['init', '--json'])).json<InitJson>();
    expect(fresh).toMatchObject({ engine: 'generic', assetRoots: ['assets'] });
    expect(existsSync(path.join(empty, 'assets'))).toBe(true);

    const chosen = await engineProject('godot-game', onTestFinished);
    const overridden = (
      await packer(chosen, [
        'init',
        '--engine',
        'generic',
        '--root',
        './sprites/',
        '--root',
        'audio',
        '--kind',
        'level=.ldtk',
        '--kind',
        'video=',
        '--json',
      ])
    ).json<InitJson>();
    expect(overridden).toMatchObject({
      engine: 'generic',
      detectedBy: '--engine',
      assetRoots: ['sprites', 'audio'],
      sidecars: [],
    });
    expect(overridden.kinds.level).toEqual(['.ldtk']);
    expect(overridden.kinds.video).toBeUndefined();
    const config = JSON.parse(readFileSync(path.join(chosen, 'packer.json'), 'utf8'));
    expect(config.packs).toEqual([{ name: 'main', include: ['sprites/**', 'audio/**'] }]);

    const outside = await packer(await emptyFolder(onTestFinished), ['init', '--root', '../elsewhere', '--json']);
    expect(outside.code).toBe(1);
    expect(outside.json<ErrorJson>().error).toMatchObject({ code: 'INVALID_CONFIG', data: { field: 'assetRoots[0]' } });
  });

  test('init inside a project is refused unless --nested', async ({ expect, onTestFinished }) => {
    const outer = await emptyFolder(onTestFinished);
    expect((await packer(outer, ['init', '--json'])).code).toBe(0);
    const inner = path.join(outer, 'assets', 'tools');
    mkdirSync(inner, { recursive: true });

    const refused = await packer(inner, ['init', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json<ErrorJson>().error).toMatchObject({
      code: 'INVALID_CONFIG',
      data: { file: path.join(outer, 'packer.json'), hint: expect.stringContaining('--nested') },
    });
    expect(existsSync(path.join(inner, 'packer.json'))).toBe(false);

    const nested = await packer(inner, ['init', '--nested', '--json']);
    expect(nested.code).toBe(0);
    expect(existsSync(path.join(inner, 'packer.json'))).toBe(true);
  });
});
