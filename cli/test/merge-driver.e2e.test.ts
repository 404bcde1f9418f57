import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type ExpectStatic } from 'vitest';
import type { Diagnostic, RegistryEntry } from '@packer/core/contract';
import { copyFixture } from '@packer/fixtures';
import { packer, PACKER_BIN } from './support/packer-bin.js';
import { git, GIT_ENV } from './support/git-repo.js';
import { emptyFolder } from './support/temp-project.js';

// Real `git merge` of two branches of a temp repository, with the registry merge driver installed by the real
// `packer git install`; git runs the real bin as the driver. The packer project sits in a subfolder of the
// repository (`game/`), so the driver's %P and the nested .gitattributes are exercised too. Every packer command
// runs in-process (--no-daemon): no daemon outlives a test, and git may change the tree under it freely.

const REGISTRY = 'packer.registry.json';
const SHARDS = 'packer.registry';
const TIMEOUT = 120_000;

function merge(cwd: string, branch: string): { status: number | null; output: string } {
  const result = spawnSync('git', ['-c', 'commit.gpgsign=false', 'merge', '--no-edit', branch], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function commitAll(repo: string, message: string): void {
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
}

/** Runs the real bin in-process and insists it succeeded. */
async function run(expect: ExpectStatic, cwd: string, ...args: string[]): Promise<string> {
  const result = await packer(cwd, [...args, '--no-daemon']);
  expect(result.code, `packer ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** A repository holding the sample project in game/, registry in format 2, the merge driver installed, committed on
 * main. */
async function repository(
  expect: ExpectStatic,
  onFinished: (fn: () => Promise<void>) => void,
  options: { shards?: number } = {},
): Promise<{ repo: string; game: string }> {
  const repo = await emptyFolder(onFinished);
  const game = await copyFixture('sample-game', path.join(repo, 'game'));
  if (options.shards) {
    const config = JSON.parse(readFileSync(path.join(game, 'packer.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(game, 'packer.json'), JSON.stringify({ ...config, registry: { shards: options.shards } }));
  }
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, '.gitignore'), '.packer/\nbuild/\n');
  // The first write migrates the fixture's format 1 registry; branches start from format 2.
  await run(expect, game, 'set', 'assets/backgrounds/sky.png', '--tag', 'sky', '--yes');
  const install = await packer(game, ['git', 'install', '--json']);
  expect(install.code, install.stderr).toBe(0);
  expect(install.json()).toMatchObject({ attributes: 'added', attributesFile: path.join(game, '.gitattributes') });
  commitAll(repo, 'base');
  return { repo, game };
}

const entries = (game: string): RegistryEntry[] =>
  (JSON.parse(readFileSync(path.join(game, REGISTRY), 'utf8')) as { assets: RegistryEntry[] }).assets;
const byPath = (game: string, assetPath: string): RegistryEntry | undefined =>
  entries(game).find((entry) => entry.path === assetPath);

/** Every line of a sharded registry, with the shard file holding it (files without conflict markers only). */
const shardLines = (game: string): { file: string; entry: RegistryEntry }[] =>
  readdirSync(path.join(game, SHARDS))
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => {
      const text = readFileSync(path.join(game, SHARDS, name), 'utf8');
      if (/^<{7}/m.test(text)) return [];
      return (JSON.parse(text) as { assets: RegistryEntry[] }).assets.map((entry) => ({ file: name, entry }));
    });

async function check(game: string): Promise<{ code: number | null; diagnostics: Diagnostic[] }> {
  const result = await packer(game, ['check', '--json', '--no-daemon']);
  return { code: result.code, diagnostics: result.json<{ items: Diagnostic[] }>().items };
}

describe.concurrent('the registry merge driver under a real git merge', { timeout: TIMEOUT }, () => {
  test('packer git install is idempotent and names this node and this bin by absolute path', async ({
    expect,
    onTestFinished,
  }) => {
    const { repo, game } = await repository(expect, onTestFinished);
    const again = await packer(path.join(game, 'assets'), ['git', 'install', '-C', '..']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already in');
    expect(readFileSync(path.join(game, '.gitattributes'), 'utf8')).toBe(
      'packer.registry.json merge=packer-registry\npacker.registry/*.json merge=packer-registry\n',
    );
    expect(git(repo, 'config', 'merge.packer-registry.driver').trim()).toBe(
      `${process.execPath} ${PACKER_BIN} merge-driver %O %A %B %P`,
    );
    expect(git(repo, 'check-attr', 'merge', 'game/packer.registry.json')).toContain('merge: packer-registry');
  });

  test('packer init --git starts a repository and installs the driver in it', async ({ expect, onTestFinished }) => {
    const folder = await emptyFolder(onTestFinished);
    const init = await packer(folder, ['init', '--git', '--json'], { env: GIT_ENV });
    expect(init.code, init.stderr).toBe(0);
    expect(init.json()).toMatchObject({
      git: {
        gitRoot: folder,
        attributes: 'added',
        driver: `${process.execPath} ${PACKER_BIN} merge-driver %O %A %B %P`,
      },
    });
    expect(git(folder, 'check-attr', 'merge', REGISTRY)).toContain('merge: packer-registry');
    expect(git(folder, 'config', 'merge.packer-registry.driver').trim()).toContain('merge-driver %O %A %B %P');
  });

  test('additions on both sides at one spot, a move on one side, a setting on one side and a tag on the other: merged, ids kept', async ({
    expect,
    onTestFinished,
  }) => {
    const { repo, game } = await repository(expect, onTestFinished);
    const hills = byPath(game, 'assets/backgrounds/hills.png')!.id;
    const title = byPath(game, 'assets/backgrounds/title.jpg')!.id;

    git(repo, 'checkout', '-q', '-b', 'art');
    // Both additions sort between the same two neighbours: git's line merge alone would conflict here.
    copyFileSync(path.join(game, 'assets/backgrounds/sky.png'), path.join(game, 'assets/backgrounds/i-gem.png'));
    await run(expect, game, 'add', 'assets/backgrounds/i-gem.png', '--yes');
    mkdirSync(path.join(game, 'assets/backgrounds/far'));
    await run(expect, game, 'mv', 'assets/backgrounds/hills.png', 'assets/backgrounds/far/hills.png', '--yes');
    await run(expect, game, 'set', 'assets/backgrounds/title.jpg', 'maxSize=512', '--yes');
    commitAll(repo, 'art: gem, hills moved, title maxSize');

    git(repo, 'checkout', '-q', 'main');
    copyFileSync(path.join(game, 'assets/backgrounds/sky.png'), path.join(game, 'assets/backgrounds/i-key.png'));
    await run(expect, game, 'add', 'assets/backgrounds/i-key.png', '--yes');
    await run(expect, game, 'set', 'assets/backgrounds/title.jpg', '--tag', 'menu', '--yes');
    commitAll(repo, 'main: key, title tagged');

    const result = merge(repo, 'art');
    expect(result.status, result.output).toBe(0);
    const text = readFileSync(path.join(game, REGISTRY), 'utf8');
    expect(text).not.toMatch(/^(<{7}|={7}|>{7})/m);
    expect(entries(game)).toHaveLength(45 + 2);
    expect(byPath(game, 'assets/backgrounds/i-gem.png')).toBeDefined();
    expect(byPath(game, 'assets/backgrounds/i-key.png')).toBeDefined();
    expect(byPath(game, 'assets/backgrounds/far/hills.png')?.id).toBe(hills);
    expect(byPath(game, 'assets/backgrounds/title.jpg')).toMatchObject({
      id: title,
      settings: { maxSize: 512 },
      tags: ['menu'],
    });
    const { code, diagnostics } = await check(game);
    expect(diagnostics.filter((item) => item.severity === 'blocker')).toEqual([]);
    expect(code).toBe(0);
  });

  test('the same asset moved to two places: markers around its lines only, git reports the conflict, the packer refuses the file until resolved', async ({
    expect,
    onTestFinished,
  }) => {
    const { repo, game } = await repository(expect, onTestFinished);
    const items = byPath(game, 'assets/data/items.json')!.id;

    git(repo, 'checkout', '-q', '-b', 'art');
    await run(expect, game, 'mv', 'assets/data/items.json', 'assets/text/items.json', '--yes');
    copyFileSync(path.join(game, 'assets/backgrounds/sky.png'), path.join(game, 'assets/backgrounds/moon.png'));
    await run(expect, game, 'add', 'assets/backgrounds/moon.png', '--yes');
    commitAll(repo, 'art: items to text/');
    git(repo, 'checkout', '-q', 'main');
    await run(expect, game, 'mv', 'assets/data/items.json', 'assets/audio/items.json', '--yes');
    commitAll(repo, 'main: items to audio/');

    const result = merge(repo, 'art');
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(
      `Asset ${items} was moved to two places: assets/audio/items.json (ours) and assets/text/items.json (theirs).`,
    );
    expect(result.output).toMatch(/CONFLICT \(content\): Merge conflict in game\/packer\.registry\.json/);
    const lines = readFileSync(path.join(game, REGISTRY), 'utf8').split('\n');
    const start = lines.indexOf('<<<<<<< ours');
    expect(lines.slice(start, start + 5)).toEqual([
      '<<<<<<< ours',
      expect.stringContaining(`"id":"${items}","path":"assets/audio/items.json"`),
      '=======',
      expect.stringContaining(`"id":"${items}","path":"assets/text/items.json"`),
      '>>>>>>> theirs',
    ]);
    expect(lines.filter((line) => /^(<{7}|={7}|>{7})/.test(line))).toHaveLength(3);
    // Everything else merged: their addition is there, outside the block.
    expect(
      lines.some(
        (line, index) => line.includes('"path":"assets/backgrounds/moon.png"') && (index < start || index > start + 4),
      ),
    ).toBe(true);

    const conflicted = await check(game);
    expect(conflicted.code).toBe(1);
    expect(conflicted.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'INVALID_REGISTRY',
        message: expect.stringContaining('unresolved merge conflict markers (first at line'),
        hint: expect.stringContaining('packer check'),
      }),
    );

    // Resolving by keeping their line gives a registry the packer reads.
    writeFileSync(
      path.join(game, REGISTRY),
      [...lines.slice(0, start), lines[start + 3]!, ...lines.slice(start + 5)].join('\n'),
    );
    expect(byPath(game, 'assets/text/items.json')?.id).toBe(items);
    const resolved = await check(game);
    expect(resolved.diagnostics.filter((item) => item.code === 'INVALID_REGISTRY')).toEqual([]);

    // Without the driver, git's line merge takes both moves silently: one id on two lines. The packer refuses that
    // registry too (DUPLICATE_ID), but only the driver makes the merge itself stop and say why.
    git(repo, 'merge', '--abort');
    // As in a clone where nobody ran `packer git install`: the attribute names a driver git's config does not define.
    git(repo, 'config', '--remove-section', 'merge.packer-registry');
    merge(repo, 'art'); // git reports the file's own rename/rename conflict; the registry merges line by line
    const duplicated = entries(game).filter((entry) => entry.id === items);
    expect(duplicated.map((entry) => entry.path).sort()).toEqual(['assets/audio/items.json', 'assets/text/items.json']);
    const afterPlain = await check(game);
    expect(afterPlain.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'INVALID_REGISTRY',
        message: expect.stringContaining(`asset id ${items} appears more than once`),
        hint: expect.stringContaining('packer git install'),
      }),
    );
  });

  test('both sides register the same new file: both ids kept, DUPLICATE_PATH with its fix from the driver and from check; the fix works', async ({
    expect,
    onTestFinished,
  }) => {
    const { repo, game } = await repository(expect, onTestFinished);
    const add = async (): Promise<string> => {
      copyFileSync(path.join(game, 'assets/backgrounds/sky.png'), path.join(game, 'assets/backgrounds/star.png'));
      await run(expect, game, 'add', 'assets/backgrounds/star.png', '--yes');
      return byPath(game, 'assets/backgrounds/star.png')!.id;
    };
    git(repo, 'checkout', '-q', '-b', 'art');
    const theirs = await add();
    commitAll(repo, 'art: star');
    git(repo, 'checkout', '-q', 'main');
    const ours = await add();
    commitAll(repo, 'main: star');
    expect(ours).not.toBe(theirs);

    const result = merge(repo, 'art');
    expect(result.status, result.output).toBe(0);
    const [first, second] = [ours, theirs].sort();
    expect(result.output).toContain(
      `DUPLICATE_PATH: After merging ours and theirs, assets/backgrounds/star.png is claimed by 2 registry entries (${first}, ${second}).`,
    );
    expect(result.output).toContain(`).\n  Fix: Keep one: \`packer rm ${second}\``); // on a line of its own
    expect(entries(game).filter((entry) => entry.path === 'assets/backgrounds/star.png')).toHaveLength(2);
    const before = await check(game);
    expect(before.code).toBe(1);
    expect(before.diagnostics).toContainEqual(
      expect.objectContaining({
        code: 'DUPLICATE_PATH',
        path: 'assets/backgrounds/star.png',
        hint: expect.stringContaining('packer rm <id>'),
      }),
    );

    await run(expect, game, 'rm', second!, '--yes');
    const after = await check(game);
    expect(after.diagnostics.filter((item) => item.code === 'DUPLICATE_PATH')).toEqual([]);
    expect(byPath(game, 'assets/backgrounds/star.png')?.id).toBe(first);
  });

  // One branch moves an asset to another folder (its line leaves its shard for another), the other tags it in place.
  // Git merges each shard on its own: the old shard sees "removed" against "changed". Before, the driver kept the
  // changed line there and the merge committed a registry holding the id twice, which the packer then refused.
  test.for([{ mover: 'theirs' }, { mover: 'ours' }])(
    'sharded registry, a move against a tag ($mover moved): the merge stops on that shard, the fix it prints carries the tag',
    async ({ mover }, { expect, onTestFinished }) => {
      const { repo, game } = await repository(expect, onTestFinished, { shards: 16 });
      const items = shardLines(game).find((line) => line.entry.path === 'assets/data/items.json')!;
      const id = items.entry.id;
      const move = async (): Promise<void> => {
        mkdirSync(path.join(game, 'assets/text/more'));
        await run(expect, game, 'mv', 'assets/data/items.json', 'assets/text/more/items.json', '--yes');
      };
      const tag = (): Promise<string> => run(expect, game, 'set', 'assets/data/items.json', '--tag', 'shop', '--yes');
      git(repo, 'checkout', '-q', '-b', 'side');
      await (mover === 'theirs' ? move() : tag());
      commitAll(repo, 'side');
      git(repo, 'checkout', '-q', 'main');
      await (mover === 'theirs' ? tag() : move());
      commitAll(repo, 'main');

      const result = merge(repo, 'side');
      expect(result.status, result.output).not.toBe(0);
      const shard = `${SHARDS}/${items.file}`;
      expect(result.output).toContain(`CONFLICT (content): Merge conflict in game/${shard}`);
      const [remover, changer] = mover === 'theirs' ? ['theirs', 'ours'] : ['ours', 'theirs'];
      expect(result.output).toContain(
        `Asset ${id} (assets/data/items.json) was removed here by ${remover} and changed by ${changer} (tag shop added)`,
      );
      const fix = `packer set ${id} --tag shop --yes`;
      expect(result.output).toContain(
        `If ${remover} moved it, keep the empty side, then after the merge run \`${fix}\``,
      );
      // The block: the changed line on one side, nothing on the other.
      const lines = readFileSync(path.join(game, shard), 'utf8').split('\n');
      const start = lines.indexOf('<<<<<<< ours');
      const block = lines.slice(start, lines.indexOf('>>>>>>> theirs') + 1);
      const changedLine = expect.stringContaining(`"id":"${id}","path":"assets/data/items.json"`);
      expect(block).toEqual(
        mover === 'theirs'
          ? ['<<<<<<< ours', changedLine, '=======', '>>>>>>> theirs']
          : ['<<<<<<< ours', '=======', changedLine, '>>>>>>> theirs'],
      );
      const resolve = (keep: 'line' | 'empty'): void =>
        writeFileSync(
          path.join(game, shard),
          [
            ...lines.slice(0, start),
            ...(keep === 'line' ? block.filter((line) => !/^(<{7}|={7}|>{7})/.test(line)) : []),
            ...lines.slice(start + block.length),
          ].join('\n'),
        );

      // Keeping the line anyway: the packer refuses the id on two lines, naming both paths and the same fix.
      resolve('line');
      const twice = await check(game);
      expect(twice.code).toBe(1);
      expect(twice.diagnostics).toContainEqual(
        expect.objectContaining({
          code: 'INVALID_REGISTRY',
          message: expect.stringMatching(
            new RegExp(
              `^Asset id ${id} appears in two registry files: .*\\(assets/(data|text/more)/items\\.json\\) and`,
            ),
          ),
          hint: expect.stringContaining(`(assets/text/more/items.json is on disk, assets/data/items.json is not)`),
        }),
      );
      expect(twice.diagnostics[0]!.hint).toContain(`run \`${fix}\``);

      // As the driver said: keep the empty side, commit, then carry the tag.
      resolve('empty');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '--no-edit');
      await run(expect, game, ...fix.split(' ').slice(1));
      const after = await check(game);
      expect(after.diagnostics.filter((item) => item.severity === 'blocker')).toEqual([]);
      expect(shardLines(game).filter((line) => line.entry.id === id)).toEqual([
        {
          file: expect.any(String),
          entry: expect.objectContaining({ path: 'assets/text/more/items.json', tags: ['shop'] }),
        },
      ]);
    },
  );
});
