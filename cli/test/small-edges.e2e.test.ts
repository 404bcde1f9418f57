import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { AuditRecord, MethodResult, Plan, RegistryEntry, VerifyResult } from '@packer/core/contract';
import { packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// The small edges of issue 12 through the real bin and the project daemon: mv into an existing folder, verify and
// pack ls without a pack name, history that says what changed, a mistyped command, and mv's hints.

const TIMEOUT = 90_000;
type MutationJson = { plan: Plan; applied: boolean };

const registry = (root: string): RegistryEntry[] =>
  (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] }).assets;
const idOf = (root: string, assetPath: string): string | undefined =>
  registry(root).find((entry) => entry.path === assetPath)?.id;

describe.concurrent('small edges (real bin, daemon)', { timeout: TIMEOUT }, () => {
  test('mv file existing-folder (no trailing slash) moves into the folder, keeps the id, and the preview says so', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const id = idOf(root, 'assets/sprites/items/coin.png');
    expect(id).toBeDefined();

    const moved = await packer(root, ['mv', 'assets/sprites/items/coin.png', 'assets/sprites/ui', '--yes']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('MOVE_INTO_FOLDER');
    expect(moved.stdout).toContain('move   assets/sprites/items/coin.png → assets/sprites/ui/coin.png');
    expect(existsSync(path.join(root, 'assets/sprites/ui/coin.png'))).toBe(true);
    expect(existsSync(path.join(root, 'assets/sprites/items/coin.png'))).toBe(false);
    expect(idOf(root, 'assets/sprites/ui/coin.png')).toBe(id);

    // A folder onto an existing folder goes inside it too, as `mv` does; from a subfolder, paths are the shell's.
    const click = idOf(root, 'assets/audio/ui/click.wav');
    const folder = await packer(path.join(root, 'assets'), ['mv', 'audio/ui', 'backgrounds', '--yes']);
    expect(folder.code, folder.stderr).toBe(0);
    expect(existsSync(path.join(root, 'assets/backgrounds/ui/click.wav'))).toBe(true);
    expect(idOf(root, 'assets/backgrounds/ui/click.wav')).toBe(click);
  });

  test('mv onto an existing file: TARGET_EXISTS only, no CASE_COLLISION for the same path; a missing asset onto an untracked file hints packer relink', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const onto = await packer(root, [
      'mv',
      'assets/sprites/items/coin.png',
      'assets/sprites/items/gem.png',
      '--dry-run',
      '--json',
    ]);
    expect(onto.code).toBe(1);
    const plan = onto.json<MutationJson>().plan;
    expect(plan.blockers.map((item) => item.code)).toEqual(['TARGET_EXISTS']);
    expect(plan.warnings.map((item) => item.code)).not.toContain('CASE_COLLISION');

    // Renamed (and edited) outside the packer: the old asset is missing, the new name an untracked file.
    const id = idOf(root, 'assets/text/credits.md')!;
    renameSync(path.join(root, 'assets/text/credits.md'), path.join(root, 'assets/text/thanks.md'));
    writeFileSync(path.join(root, 'assets/text/thanks.md'), '# Thanks\n\nEveryone.\n');
    const relink = await packer(root, ['mv', id, 'assets/text/thanks.md', '--yes']);
    expect(relink.code).toBe(1);
    expect(relink.stdout).toContain('MISSING_FILE');
    expect(relink.stdout).toContain('TARGET_EXISTS');
    expect(relink.stdout).toContain(
      `hint: If assets/text/thanks.md is this asset renamed outside the packer, keep its id with \`packer relink ${id} assets/text/thanks.md\`.`,
    );
    // The hint's command does what it says.
    const done = await packer(root, ['relink', id, 'assets/text/thanks.md', '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(idOf(root, 'assets/text/thanks.md')).toBe(id);
  });

  test('verify and pack ls without a pack name act on every pack after a build; a damaged pack fails verify', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const build = await packer(root, ['build', '--json']);
    expect(build.code, build.stderr).toBe(0);

    const list = await packer(root, ['pack', 'ls', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const packs = list.json<MethodResult<'packs.list'>>().items;
    expect(packs.length).toBeGreaterThanOrEqual(2);
    expect(packs.every((pack) => pack.exists)).toBe(true);
    const human = await packer(root, ['pack', 'ls']);
    expect(human.code).toBe(0);
    for (const pack of packs)
      expect(human.stdout).toMatch(
        new RegExp(`^${pack.name} +${pack.file.replace(/\./g, '\\.')} +${pack.entries} `, 'm'),
      );

    const verified = await packer(root, ['verify', '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    const all = verified.json<{ ok: boolean; items: VerifyResult[] }>();
    expect(all.ok).toBe(true);
    expect(all.items.map((item) => item.pack)).toEqual(packs.map((pack) => pack.name));
    const text = await packer(root, ['verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${packs.length} of ${packs.length} packs verified.`);

    // One pack damaged: verify of all packs says which and exits 1.
    const victim = packs.find((pack) => (pack.entries ?? 0) > 0)!;
    const file = path.join(root, victim.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(file, bytes);
    const failed = await packer(root, ['verify']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(`${victim.name}: FAILED: ${victim.file}`);
    expect(failed.stdout).toContain(`${packs.length - 1} of ${packs.length} packs verified.`);
  });

  test('history says what each mutation changed: counts and paths', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect(
      (await packer(root, ['mv', 'assets/sprites/player/idle.png', 'assets/sprites/player/stand.png', '--yes'])).code,
    ).toBe(0);
    expect((await packer(root, ['rm', 'assets/text/locale', '--delete-file', '--yes'])).code).toBe(0);

    const history = await packer(root, ['history']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain(
      'moved 1 (on disk: 1 move): assets/sprites/player/idle.png → assets/sprites/player/stand.png',
    );
    expect(history.stdout).toContain(
      'removed 3 (on disk: 3 deletions): assets/text/locale/de.txt, assets/text/locale/en.txt, assets/text/locale/fr.txt',
    );

    const records = (await packer(root, ['history', '--json'])).json<{ items: AuditRecord[] }>().items;
    expect(records.at(-1)!.changes).toEqual({
      registered: 0,
      moved: 0,
      removed: 3,
      updated: 0,
      movedFiles: 0,
      deletedFiles: 3,
      firstPaths: ['assets/text/locale/de.txt', 'assets/text/locale/en.txt', 'assets/text/locale/fr.txt'],
    });
  });

  test('a mistyped command suggests the closest one and exits 2 without waiting for an answer (stdin not a terminal)', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const typo = await packer(root, ['statsu'], { timeoutMs: 15_000 });
    expect(typo.code).toBe(2);
    expect(typo.errorText).toContain('statsu is not a packer command.');
    expect(typo.errorText).toContain('Did you mean `packer status`?');
    const topic = await packer(root, ['daemon', 'strat'], { timeoutMs: 15_000 });
    expect(topic.code).toBe(2);
    expect(topic.errorText).toContain('Did you mean `packer daemon start`?');
    // Nothing close: no guess, only the way to the list.
    const nonsense = await packer(root, ['xyzzyplugh'], { timeoutMs: 15_000 });
    expect(nonsense.code).toBe(2);
    expect(nonsense.errorText).not.toContain('Did you mean');
    expect(nonsense.errorText).toContain('Run `packer help` for a list of available commands.');
  });

  test('packer --help describes each topic, not one of its commands', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const help = await packer(root, ['--help'], { timeoutMs: 15_000 });
    expect(help.code).toBe(0);
    const topics = help.stdout.slice(help.stdout.indexOf('TOPICS'), help.stdout.indexOf('COMMANDS'));
    expect(topics).toMatch(/^ {2}daemon +The project's daemon: start, stop, restart, status and its log\.$/m);
    expect(topics).toMatch(/^ {2}cache +The local build cache/m);
    // They borrowed a subcommand's description: `daemon  Show the daemon's structured log …`.
    expect(topics).not.toContain('structured log');
  });

  test('packer top without a terminal says it needs one and exits 2 (it threw an ink stack trace)', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const top = await packer(root, ['top'], { timeoutMs: 15_000 });
    expect(top.code).toBe(2);
    expect(top.errorText).toContain('packer top needs a terminal.');
    expect(top.stderr).not.toMatch(/Raw mode|at .*\.js:\d+/);
  });
});
