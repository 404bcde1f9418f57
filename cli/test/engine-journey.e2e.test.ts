import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type ExpectStatic } from 'vitest';
import type { Diagnostic, Plan, RegistryEntry } from '@packer/core/contract';
import {
  GODOT_IGNORED_FILES,
  editLines,
  patternPng,
  scriptText,
  writeEngineFixture,
  type EngineFixture,
} from '@packer/fixtures';
import { packer } from './support/packer-bin.js';
import { git, GIT_ENV } from './support/git-repo.js';
import { disposeProject } from './support/temp-project.js';

// Issue 12's whole first day in a game team, as one journey through the real bin and the project daemon: a
// Godot-shaped repository is adopted (`init --git`), registered, reorganised with the packer (sidecars carried),
// then reworked outside it on a branch (renames with edits, committed with git), checked out back and forth under
// the running daemon, reconciled (ids kept, each relink shown with its score and reason), checked, built, verified,
// and merged with a teammate's branch through the registry merge driver. The same, shorter, for Unity.

type MutationJson = { plan: Plan; applied: boolean };
type InitJson = {
  engine: string;
  assetRoots: string[];
  sidecars: string[];
  git: { attributes: string; driver: string };
};
type CheckJson = { items: Diagnostic[]; blockers: number };
type BuildJson = {
  packs: { pack: string; file: string; entries: number; status: string }[];
  counts: { failed: number };
  failures: unknown[];
};
type VerifyJson = { ok: boolean; items: { pack: string; ok: boolean; entries: number }[] };

function commitAll(cwd: string, message: string): void {
  git(cwd, 'add', '-A');
  git(cwd, 'commit', '-q', '-m', message);
}

/** A fresh engine-shaped tree, `files` overwritten (a longer script, a real PNG: edits can be partial), committed. */
function engineRepository(
  name: EngineFixture,
  onFinished: (fn: () => Promise<void>) => void,
  files: Record<string, string | Buffer>,
): string {
  const root = writeEngineFixture(name);
  onFinished(() => disposeProject(root));
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(root, file), content);
  git(root, 'init', '-q', '-b', 'main');
  commitAll(root, 'the game, before the packer');
  return root;
}

const registry = (root: string): RegistryEntry[] =>
  (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] }).assets;
const idOf = (root: string, assetPath: string): string | undefined =>
  registry(root).find((entry) => entry.path === assetPath)?.id;
const onDisk = (root: string, ...files: string[]): boolean[] => files.map((file) => existsSync(path.join(root, file)));

/** Runs the real bin (project daemon started on demand) and insists on exit 0. */
async function run(expect: ExpectStatic, cwd: string, ...args: string[]): Promise<string> {
  const result = await packer(cwd, args, { env: GIT_ENV });
  expect(result.code, `packer ${args.join(' ')}: ${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

async function json<T>(expect: ExpectStatic, cwd: string, ...args: string[]): Promise<T> {
  return JSON.parse(await run(expect, cwd, ...args, '--json')) as T;
}

/** `reconcile --dry-run --json`: the relinks proposed as [from, to], and the score/reason lines. */
async function reconcilePreview(
  expect: ExpectStatic,
  root: string,
): Promise<{ relinks: string[][]; similar: string[]; plan: Plan }> {
  const { plan } = await json<MutationJson>(expect, root, 'reconcile', '--dry-run');
  const relinks = plan.registryMutations
    .flatMap((change) => (change.op === 'update' ? [[change.before.path, change.after.path]] : []))
    .sort();
  const similar = plan.warnings
    .filter((item) => item.code === 'SIMILAR_CONTENT')
    .map((item) => item.message)
    .sort();
  return { relinks, similar, plan };
}

/** check exits 0, build writes every pack without failure, verify (no pack name: all packs) passes. */
async function checkBuildVerify(expect: ExpectStatic, root: string, assets: number): Promise<void> {
  const check = await json<CheckJson>(expect, root, 'check');
  expect(check.items.filter((item) => item.severity !== 'info')).toEqual([]);
  const build = await json<BuildJson>(expect, root, 'build');
  expect(build.failures).toEqual([]);
  expect(build.counts.failed).toBe(0);
  expect(build.packs.reduce((sum, pack) => sum + pack.entries, 0)).toBe(assets);
  for (const pack of build.packs) expect(onDisk(root, pack.file), pack.file).toEqual([true]);
  const verify = await json<VerifyJson>(expect, root, 'verify');
  expect(verify.ok).toBe(true);
  expect(verify.items.map((item) => item.pack).sort()).toEqual(build.packs.map((pack) => pack.pack).sort());
  expect(verify.items.every((item) => item.ok)).toBe(true);
}

describe.concurrent(
  'an engine project from adoption to a team merge (real bin, daemon, git)',
  { timeout: 90_000 },
  () => {
    test('Godot: init --git, add, mv with sidecars, outside renames with edits on a branch, checkouts, reconcile keeps ids, check/build/verify, teammate merge', async ({
      expect,
      onTestFinished,
    }) => {
      const player = scriptText('player', 50);
      const root = engineRepository('godot-game', onTestFinished, {
        'scripts/player.gd': player,
        'sprites/hero.png': patternPng(64),
      });

      // Adoption: engine detected, the project root as asset root, sidecar rules written, git set up.
      const init = await json<InitJson>(expect, root, 'init', '--git');
      expect(init).toMatchObject({
        engine: 'godot',
        assetRoots: ['.'],
        sidecars: ['{path}.import', '{path}.uid'],
        git: { attributes: 'added' },
      });
      expect(git(root, 'check-attr', 'merge', 'packer.registry.json')).toContain('merge: packer-registry');

      // Only assets are registered: no sidecar, nothing under the git-ignored .godot/, no .gdignore marker.
      const added = await json<MutationJson>(expect, root, 'add', '.', '--yes');
      expect(added.applied).toBe(true);
      const paths = registry(root).map((entry) => entry.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'sprites/hero.png',
          'sprites/enemies/bat.png',
          'scripts/player.gd',
          'audio/jump.wav',
          'scenes/main.tscn',
          'icon.svg',
        ]),
      );
      expect(paths.filter((file) => /\.(import|uid)$|(^|\/)\.gdignore$|^\.godot\//.test(file))).toEqual([]);
      for (const ignored of GODOT_IGNORED_FILES) expect(paths).not.toContain(ignored);
      const ids = Object.fromEntries(
        ['sprites/hero.png', 'sprites/enemies/bat.png', 'sprites/enemies/slime.png', 'scripts/player.gd'].map(
          (file) => [file, idOf(root, file)!],
        ),
      );

      // Reorganising with the packer: a file and a folder, sidecars along, ids kept.
      const movedFile = await json<MutationJson>(expect, root, 'mv', 'sprites/hero.png', 'sprites/player.png', '--yes');
      expect(movedFile.plan.filesystemMutations).toContainEqual({
        op: 'move',
        from: 'sprites/hero.png.import',
        to: 'sprites/player.png.import',
        sidecarOf: 'sprites/hero.png',
      });
      await run(expect, root, 'mv', 'sprites/enemies', 'sprites/foes', '--yes');
      expect(
        onDisk(
          root,
          'sprites/player.png',
          'sprites/player.png.import',
          'sprites/foes/bat.png.import',
          'sprites/foes/slime.png.import',
        ),
      ).toEqual([true, true, true, true]);
      expect(onDisk(root, 'sprites/hero.png', 'sprites/hero.png.import', 'sprites/enemies')).toEqual([
        false,
        false,
        false,
      ]);
      expect([
        idOf(root, 'sprites/player.png'),
        idOf(root, 'sprites/foes/bat.png'),
        idOf(root, 'sprites/foes/slime.png'),
      ]).toEqual([ids['sprites/hero.png'], ids['sprites/enemies/bat.png'], ids['sprites/enemies/slime.png']]);
      commitAll(root, 'adopted by the packer');

      // A branch reworked outside the packer: renames with edits (a fifth of the script's lines, a few pixels),
      // sidecars renamed by hand too.
      git(root, 'checkout', '-q', '-b', 'rework');
      renameSync(path.join(root, 'scripts/player.gd'), path.join(root, 'scripts/hero.gd'));
      renameSync(path.join(root, 'scripts/player.gd.uid'), path.join(root, 'scripts/hero.gd.uid'));
      writeFileSync(path.join(root, 'scripts/hero.gd'), editLines(player, 0.2));
      renameSync(path.join(root, 'sprites/player.png'), path.join(root, 'sprites/hero_idle.png'));
      renameSync(path.join(root, 'sprites/player.png.import'), path.join(root, 'sprites/hero_idle.png.import'));
      writeFileSync(
        path.join(root, 'sprites/hero_idle.png'),
        patternPng(64, [
          [5, 5],
          [6, 5],
          [30, 31],
        ]),
      );
      commitAll(root, 'rework: hero script and sprite renamed and edited');

      // Back and forth between real commits under the running daemon: clean on main, diverged on the branch.
      git(root, 'checkout', '-q', 'main');
      expect(await reconcilePreview(expect, root)).toMatchObject({ relinks: [], similar: [] });
      git(root, 'checkout', '-q', 'rework');
      const preview = await reconcilePreview(expect, root);
      expect(preview.plan.blockers).toEqual([]);
      expect(preview.relinks).toEqual([
        ['scripts/player.gd', 'scripts/hero.gd'],
        ['sprites/player.png', 'sprites/hero_idle.png'],
      ]);
      expect(preview.similar).toEqual([
        expect.stringMatching(
          /^Relink scripts\/player\.gd → scripts\/hero\.gd: renamed and edited \(\d+% of the content kept, same folder\)/,
        ),
        expect.stringMatching(
          /^Relink sprites\/player\.png → sprites\/hero_idle\.png: renamed and edited \(\d+% of the content kept, same folder\)/,
        ),
      ]);
      // A proposal, not a silent repair: the registry still has the old paths until the user accepts.
      expect(idOf(root, 'scripts/player.gd')).toBe(ids['scripts/player.gd']);
      const human = await run(expect, root, 'reconcile', '--dry-run');
      expect(human).toMatch(
        /SIMILAR_CONTENT {2}Relink scripts\/player\.gd → scripts\/hero\.gd: renamed and edited \(\d+% of the content kept/,
      );

      const reconciled = await json<MutationJson>(expect, root, 'reconcile', '--yes');
      expect(reconciled.applied).toBe(true);
      expect(idOf(root, 'scripts/hero.gd')).toBe(ids['scripts/player.gd']);
      expect(idOf(root, 'sprites/hero_idle.png')).toBe(ids['sprites/hero.png']);
      expect([idOf(root, 'scripts/player.gd'), idOf(root, 'sprites/player.png')]).toEqual([undefined, undefined]);
      const assets = registry(root).length;
      await checkBuildVerify(expect, root, assets);
      commitAll(root, 'rework: reconciled');

      // A teammate, from main, adds assets in another folder; the registry merges through the driver, without conflict.
      git(root, 'checkout', '-q', '-b', 'levels', 'main');
      mkdirSync(path.join(root, 'levels'));
      writeFileSync(path.join(root, 'levels/one.json'), '{"level":1}\n');
      writeFileSync(path.join(root, 'levels/one.gd'), 'extends Node2D\n');
      await run(expect, root, 'add', 'levels', '--yes');
      const teammateIds = [idOf(root, 'levels/one.json'), idOf(root, 'levels/one.gd')];
      commitAll(root, 'levels: the first level');
      git(root, 'checkout', '-q', 'rework');
      const merge = spawnSync('git', ['-c', 'commit.gpgsign=false', 'merge', '--no-edit', 'levels'], {
        cwd: root,
        env: { ...GIT_ENV, GIT_TRACE: '1' },
        encoding: 'utf8',
      });
      expect(merge.status, `${merge.stdout}${merge.stderr}`).toBe(0);
      expect(merge.stderr).toMatch(/run_command: .*merge-driver/);
      expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).not.toMatch(/^(<{7}|={7}|>{7})/m);
      expect([idOf(root, 'levels/one.json'), idOf(root, 'levels/one.gd')]).toEqual(teammateIds);
      expect(idOf(root, 'scripts/hero.gd')).toBe(ids['scripts/player.gd']);
      expect(registry(root)).toHaveLength(assets + 2);
      await checkBuildVerify(expect, root, assets + 2);
    });

    test("Unity: init --git, add, mv with .meta (a folder's own too), outside rename with edits, checkouts, reconcile keeps the id, check/build/verify", async ({
      expect,
      onTestFinished,
    }) => {
      const player = scriptText('Player', 40).replaceAll('var ', 'public float ');
      const root = engineRepository('unity-game', onTestFinished, {
        'Assets/Scripts/Player.cs': player,
        'Assets/Sprites/Hero.png': patternPng(64),
      });

      expect(await json<InitJson>(expect, root, 'init', '--git')).toMatchObject({
        engine: 'unity',
        assetRoots: ['Assets'],
        sidecars: ['{path}.meta'],
      });
      await run(expect, root, 'add', '.', '--yes');
      const paths = registry(root).map((entry) => entry.path);
      expect(paths).toEqual(
        expect.arrayContaining(['Assets/Sprites/Hero.png', 'Assets/Scripts/Player.cs', 'Assets/Prefabs/Hero.prefab']),
      );
      expect(paths.filter((file) => file.endsWith('.meta') || !file.startsWith('Assets/'))).toEqual([]);
      const ids = Object.fromEntries(
        ['Assets/Sprites/Hero.png', 'Assets/Sprites/Enemies/Bat.png', 'Assets/Scripts/Player.cs'].map((file) => [
          file,
          idOf(root, file)!,
        ]),
      );

      await run(expect, root, 'mv', 'Assets/Sprites/Hero.png', 'Assets/Sprites/Player.png', '--yes');
      const folder = await json<MutationJson>(expect, root, 'mv', 'Assets/Sprites/Enemies', 'Assets/Foes', '--yes');
      expect(folder.plan.filesystemMutations).toContainEqual({
        op: 'move',
        from: 'Assets/Sprites/Enemies.meta',
        to: 'Assets/Foes.meta',
        sidecarOf: 'Assets/Sprites/Enemies',
      });
      expect(
        onDisk(
          root,
          'Assets/Sprites/Player.png.meta',
          'Assets/Foes.meta',
          'Assets/Foes/Bat.png.meta',
          'Assets/Sprites/Hero.png.meta',
          'Assets/Sprites/Enemies.meta',
        ),
      ).toEqual([true, true, true, false, false]);
      expect([idOf(root, 'Assets/Sprites/Player.png'), idOf(root, 'Assets/Foes/Bat.png')]).toEqual([
        ids['Assets/Sprites/Hero.png'],
        ids['Assets/Sprites/Enemies/Bat.png'],
      ]);
      commitAll(root, 'adopted by the packer');

      git(root, 'checkout', '-q', '-b', 'rework');
      renameSync(path.join(root, 'Assets/Scripts/Player.cs'), path.join(root, 'Assets/Scripts/Hero.cs'));
      renameSync(path.join(root, 'Assets/Scripts/Player.cs.meta'), path.join(root, 'Assets/Scripts/Hero.cs.meta'));
      writeFileSync(path.join(root, 'Assets/Scripts/Hero.cs'), editLines(player, 0.2));
      commitAll(root, 'rework: Player.cs renamed and edited');
      git(root, 'checkout', '-q', 'main');
      git(root, 'checkout', '-q', 'rework');

      const preview = await reconcilePreview(expect, root);
      expect(preview.relinks).toEqual([['Assets/Scripts/Player.cs', 'Assets/Scripts/Hero.cs']]);
      expect(preview.similar).toEqual([
        expect.stringMatching(/renamed and edited \(\d+% of the content kept, same folder\)/),
      ]);
      await run(expect, root, 'reconcile', '--yes');
      expect(idOf(root, 'Assets/Scripts/Hero.cs')).toBe(ids['Assets/Scripts/Player.cs']);
      await checkBuildVerify(expect, root, registry(root).length);
    });
  },
);
