import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type ExpectStatic } from 'vitest';
import type { Diagnostic, Plan, RegistryEntry } from '@packer/core/contract';
import { editLines, patternPng, scriptText } from '@packer/fixtures';
import { packer } from './support/packer-bin.js';
import { git } from './support/git-repo.js';
import { emptyFolder } from './support/temp-project.js';

// Outside renames with edits through the real bin and the project daemon: `git checkout` between real commits of
// a temp repository renames and edits files under a running daemon; reconcile keeps the ids of those above the
// similarity threshold, leaves an ambiguous match alone while the rest applies, and `packer relink` settles by
// hand what it could not pair.

const TIMEOUT = 120_000;
type MutationJson = { plan: Plan; applied: boolean };

const CONFIG = {
  name: 'godot-like',
  assetRoots: ['assets'],
  kinds: {
    script: { extensions: ['.gd'], processor: 'text' },
    image: { extensions: ['.png'], processor: 'image' },
    text: { extensions: ['.txt'], processor: 'text' },
  },
  packs: [{ name: 'all', include: ['assets/**'] }],
};

function write(root: string, relative: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

const registry = (root: string): RegistryEntry[] =>
  (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] }).assets;
const idOf = (root: string, assetPath: string): string | undefined =>
  registry(root).find((entry) => entry.path === assetPath)?.id;

async function run(expect: ExpectStatic, cwd: string, ...args: string[]): Promise<string> {
  const result = await packer(cwd, args);
  expect(result.code, `packer ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('renamed-and-edited files keep their ids (real bin, daemon)', { timeout: TIMEOUT }, () => {
  test('git checkout of a commit that renamed and edited files: relinks above the threshold, drop + adopt below, ambiguity left alone, relink by hand', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await emptyFolder(onTestFinished);
    const player = scriptText('player', 50);
    const enemy = scriptText('enemy', 50);
    writeFileSync(path.join(root, 'packer.json'), JSON.stringify(CONFIG, null, 2));
    // The registry stays out of git here: the commits are someone else's renames, made without the packer.
    writeFileSync(path.join(root, '.gitignore'), '.packer/\nbuild/\npacker.registry.json\n');
    write(root, 'assets/scripts/player.gd', player);
    write(root, 'assets/scripts/enemy.gd', enemy);
    write(root, 'assets/sprites/hero.png', patternPng(64));
    write(root, 'assets/a/.gdignore', '');
    write(root, 'assets/b/.gdignore', '');
    write(root, 'assets/notes.txt', 'notes');
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'before');
    // The other commit: 20% of player.gd edited with a rename, enemy.gd mostly rewritten, the sprite retouched
    // and renamed, two empty .gdignore files removed and one added, notes.txt deleted, a new file.
    git(root, 'mv', 'assets/scripts/player.gd', 'assets/scripts/hero.gd');
    write(root, 'assets/scripts/hero.gd', editLines(player, 0.2));
    git(root, 'mv', 'assets/scripts/enemy.gd', 'assets/scripts/boss.gd');
    write(root, 'assets/scripts/boss.gd', editLines(enemy, 0.9));
    git(root, 'mv', 'assets/sprites/hero.png', 'assets/sprites/hero_idle.png');
    write(
      root,
      'assets/sprites/hero_idle.png',
      patternPng(64, [
        [5, 5],
        [6, 5],
        [30, 31],
      ]),
    );
    git(root, 'rm', '-q', 'assets/a/.gdignore', 'assets/b/.gdignore', 'assets/notes.txt');
    write(root, 'assets/c/.gdignore', '');
    write(root, 'assets/new.txt', 'new');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'renamed and edited');
    git(root, 'checkout', '-q', 'HEAD~1');

    await run(expect, root, 'add', 'assets', '--yes');
    const before = Object.fromEntries(
      [
        'assets/scripts/player.gd',
        'assets/scripts/enemy.gd',
        'assets/sprites/hero.png',
        'assets/a/.gdignore',
        'assets/b/.gdignore',
      ].map((p) => [p, idOf(root, p)]),
    );

    git(root, 'checkout', '-q', 'main');

    // The preview: relinks with score and reason, nothing blocked by the ambiguous .gdignore files.
    const preview = await packer(root, ['reconcile', '--dry-run', '--json']);
    expect(preview.code, preview.stderr).toBe(0);
    const plan = preview.json<MutationJson>().plan;
    expect(plan.blockers).toEqual([]);
    const updates = plan.registryMutations.flatMap((change) =>
      change.op === 'update' ? [[change.before.path, change.after.path]] : [],
    );
    expect(updates.sort()).toEqual([
      ['assets/scripts/player.gd', 'assets/scripts/hero.gd'],
      ['assets/sprites/hero.png', 'assets/sprites/hero_idle.png'],
    ]);
    const similar = plan.warnings.filter((item: Diagnostic) => item.code === 'SIMILAR_CONTENT');
    expect(similar.map((item) => item.message).join('\n')).toMatch(
      /player\.gd → assets\/scripts\/hero\.gd: renamed and edited \(\d+% of the content kept, same folder\)/,
    );
    expect(
      plan.warnings
        .filter((item) => item.code === 'AMBIGUOUS_SKIPPED')
        .map((item) => item.assetId)
        .sort(),
    ).toEqual([before['assets/a/.gdignore'], before['assets/b/.gdignore']].sort());

    const human = await packer(root, ['reconcile', '--dry-run']);
    expect(human.stdout).toMatch(
      /SIMILAR_CONTENT {2}Relink assets\/sprites\/hero\.png → assets\/sprites\/hero_idle\.png: renamed and edited \(\d+% of the content kept, same folder\)/,
    );
    expect(human.stdout).toContain('AMBIGUOUS_SKIPPED');

    // Only the relinks first: the rest waits.
    await run(expect, root, 'reconcile', '--only', 'relink', '--yes');
    expect(idOf(root, 'assets/scripts/hero.gd')).toBe(before['assets/scripts/player.gd']);
    expect(idOf(root, 'assets/sprites/hero_idle.png')).toBe(before['assets/sprites/hero.png']);
    expect(idOf(root, 'assets/scripts/enemy.gd')).toBe(before['assets/scripts/enemy.gd']);

    // boss.gd is below the threshold: the user knows better and relinks by hand; the id survives.
    const relink = await packer(root, [
      'relink',
      'assets/scripts/enemy.gd',
      'assets/scripts/boss.gd',
      '--yes',
      '--json',
    ]);
    expect(relink.code, relink.stderr).toBe(0);
    expect(relink.json<MutationJson>()).toMatchObject({ applied: true, plan: { filesystemMutations: [] } });
    expect(idOf(root, 'assets/scripts/boss.gd')).toBe(before['assets/scripts/enemy.gd']);
    expect(idOf(root, 'assets/scripts/enemy.gd')).toBeUndefined();

    // Drop and adopt the rest; the ambiguous ones stay as they are.
    await run(expect, root, 'reconcile', '--only', 'drop,adopt', '--yes');
    expect(idOf(root, 'assets/notes.txt')).toBeUndefined();
    expect(idOf(root, 'assets/new.txt')).toBeDefined();
    expect(idOf(root, 'assets/a/.gdignore')).toBe(before['assets/a/.gdignore']);
    expect(idOf(root, 'assets/c/.gdignore')).toBeUndefined();

    // A relink by hand refuses what it cannot do, and says why.
    const refused = await packer(root, ['relink', 'assets/scripts/hero.gd', 'assets/c/.gdignore', '--yes']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/ASSET_PRESENT {2}assets\/scripts\/hero\.gd is on disk/);
    await run(expect, root, 'relink', before['assets/b/.gdignore']!, 'assets/c/.gdignore', '--yes');
    expect(idOf(root, 'assets/c/.gdignore')).toBe(before['assets/b/.gdignore']);
  });
});
