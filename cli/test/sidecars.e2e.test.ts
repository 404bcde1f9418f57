import { existsSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type ExpectStatic } from 'vitest';
import type { Diagnostic, Plan, RegistryEntry } from '@packer/core/contract';
import { writeEngineFixture, type EngineFixture } from '@packer/fixtures';
import { packer } from './support/packer-bin.js';
import { disposeProject } from './support/temp-project.js';

// Sidecars through the real bin and the project daemon, in the engine-shaped fixtures `packer init` adopts:
// Godot's `.import`/`.uid` and Unity's `.meta` (folders too) are never assets and follow their asset.

type MutationJson = { plan: Plan; applied: boolean };
type CheckJson = { items: Diagnostic[] };

async function engineProject(name: EngineFixture, onFinished: (fn: () => Promise<void>) => void): Promise<string> {
  const root = writeEngineFixture(name);
  onFinished(() => disposeProject(root));
  return root;
}

const registry = (root: string): RegistryEntry[] =>
  (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] }).assets;
const exists = (root: string, relative: string): boolean => existsSync(path.join(root, relative));

async function run(expect: ExpectStatic, cwd: string, ...args: string[]): Promise<string> {
  const result = await packer(cwd, args);
  expect(result.code, `packer ${args.join(' ')}: ${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('sidecars follow their asset (real bin, daemon)', { timeout: 120_000 }, () => {
  test('Godot: add registers only assets; mv carries .import and .uid; rm --delete-file removes them; an outside move that leaves one behind is diagnosed and reconcile brings it along', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await engineProject('godot-game', onTestFinished);
    await run(expect, root, 'init', '--json');
    await run(expect, root, 'add', '.', '--yes');
    const paths = registry(root).map((entry) => entry.path);
    expect(paths).toEqual(expect.arrayContaining(['sprites/hero.png', 'scripts/player.gd', 'icon.svg']));
    expect(paths.filter((file) => /\.(import|uid)$/.test(file))).toEqual([]);
    const heroId = registry(root).find((entry) => entry.path === 'sprites/hero.png')!.id;

    // Naming a sidecar is refused, with the way out.
    const refused = await packer(root, ['add', 'sprites/hero.png.import', '--yes']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/SIDECAR_NOT_ASSET {2}sprites\/hero\.png\.import is a sidecar/);
    expect(refused.stdout).toContain('packer add sprites/hero.png');

    // The preview lists the sidecar's file change, marked as such.
    const preview = await run(expect, root, 'mv', 'sprites/hero.png', 'sprites/player.png', '--dry-run');
    expect(preview).toContain('move   sprites/hero.png → sprites/player.png');
    expect(preview).toContain(
      'move   sprites/hero.png.import → sprites/player.png.import  (sidecar of sprites/hero.png)',
    );
    const moved = await packer(root, ['mv', 'sprites/hero.png', 'sprites/player.png', '--yes', '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json<MutationJson>().plan.filesystemMutations).toEqual([
      { op: 'move', from: 'sprites/hero.png', to: 'sprites/player.png' },
      { op: 'move', from: 'sprites/hero.png.import', to: 'sprites/player.png.import', sidecarOf: 'sprites/hero.png' },
    ]);
    expect([
      exists(root, 'sprites/player.png'),
      exists(root, 'sprites/player.png.import'),
      exists(root, 'sprites/hero.png.import'),
    ]).toEqual([true, true, false]);
    expect(registry(root).find((entry) => entry.path === 'sprites/player.png')?.id).toBe(heroId);

    // A script's .uid moves along into a new folder.
    await run(expect, root, 'mv', 'scripts/player.gd', 'scripts/actors/', '--yes');
    expect([
      exists(root, 'scripts/actors/player.gd'),
      exists(root, 'scripts/actors/player.gd.uid'),
      exists(root, 'scripts/player.gd.uid'),
    ]).toEqual([true, true, false]);

    // Removing with the file removes its sidecar; without, it stays.
    await run(expect, root, 'rm', 'sprites/enemies/bat.png', '--delete-file', '--yes');
    expect([exists(root, 'sprites/enemies/bat.png'), exists(root, 'sprites/enemies/bat.png.import')]).toEqual([
      false,
      false,
    ]);
    await run(expect, root, 'rm', 'sprites/enemies/slime.png', '--yes');
    expect(exists(root, 'sprites/enemies/slime.png.import')).toBe(true);

    // Outside the packer: the sound is renamed, its .import left behind.
    renameSync(path.join(root, 'audio/jump.wav'), path.join(root, 'audio/leap.wav'));
    const check = await packer(root, ['check', '--json']);
    const left = check.json<CheckJson>().items.filter((item) => item.code === 'SIDECAR_LEFT_BEHIND');
    expect(left).toMatchObject([
      { severity: 'warning', path: 'audio/jump.wav.import', hint: expect.stringContaining('packer reconcile') },
    ]);
    expect(left[0]!.message).toContain('audio/leap.wav.import');
    const reconcile = await run(expect, root, 'reconcile', '--dry-run');
    expect(reconcile).toContain('move   audio/jump.wav.import → audio/leap.wav.import  (sidecar of audio/jump.wav)');
    await run(expect, root, 'reconcile', '--only', 'relink', '--yes');
    expect([exists(root, 'audio/leap.wav.import'), exists(root, 'audio/jump.wav.import')]).toEqual([true, false]);
    const after = (await packer(root, ['check', '--json'])).json<CheckJson>().items;
    expect(after.filter((item) => /SIDECAR/.test(item.code))).toEqual([]);
  });

  test("Unity: a folder move carries the folder's .meta; the .meta files inside go with the folder", async ({
    expect,
    onTestFinished,
  }) => {
    const root = await engineProject('unity-game', onTestFinished);
    await run(expect, root, 'init', '--json');
    await run(expect, root, 'add', 'Assets', '--yes');
    expect(registry(root).filter((entry) => entry.path.endsWith('.meta'))).toEqual([]);
    const moved = await packer(root, ['mv', 'Assets/Sprites', 'Assets/Art', '--yes', '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json<MutationJson>().plan.filesystemMutations).toEqual([
      { op: 'move', from: 'Assets/Sprites', to: 'Assets/Art' },
      { op: 'move', from: 'Assets/Sprites.meta', to: 'Assets/Art.meta', sidecarOf: 'Assets/Sprites' },
    ]);
    for (const file of [
      'Assets/Art.meta',
      'Assets/Art/Hero.png.meta',
      'Assets/Art/Enemies.meta',
      'Assets/Art/Enemies/Bat.png.meta',
    ])
      expect(exists(root, file), file).toBe(true);
    expect(exists(root, 'Assets/Sprites.meta')).toBe(false);
    const diagnostics = (await packer(root, ['check', '--json'])).json<CheckJson>().items;
    expect(diagnostics.filter((item) => item.severity !== 'info')).toEqual([]);
  });
});
