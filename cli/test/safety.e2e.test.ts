import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { ApplyResult, AuditRecord, BuildReport, Plan, RegistryEntry } from '@packer/core/contract';
import { developerEnv, packer } from './support/packer-bin.js';
import { emptyFolder, fixtureProject } from './support/temp-project.js';

// End-to-end through the real bin (stdin is /dev/null and stdout a pipe in every run here, so no terminal):
// confirmation without a TTY, escaping of hostile names, errors as the packer words them, `-C`, `build --json`.

type MutationJson = { plan: Plan; applied: boolean; result?: ApplyResult };
type ErrorJson = { error: { code: string; message: string; data: Record<string, unknown> } };

function registry(root: string): RegistryEntry[] {
  return (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] })
    .assets;
}

/** Terminal control characters and bidi overrides: none may reach a person's terminal raw. Newlines are layout. */
const RAW_CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

const TIMEOUT = 90_000;

describe.concurrent('mutations without a terminal need --yes', { timeout: TIMEOUT }, () => {
  test('rm --delete-file with stdin from /dev/null and stdout piped refuses (exit 2, CONFIRMATION_REQUIRED) and deletes nothing', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const folder = path.join(root, 'assets/sprites/enemies');
    const files = readdirSync(folder);
    expect(files.length).toBeGreaterThan(0);
    const registryBefore = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');

    const refused = await packer(root, ['rm', 'assets/sprites/enemies', '--delete-file']);
    expect(refused.code).toBe(2);
    // The preview is still shown, then the refusal with its code and a hint naming --yes.
    expect(refused.stdout).toContain('delete assets/sprites/enemies/');
    expect(refused.stdout).not.toContain('Applied:');
    expect(refused.errorText).toContain('Code: CONFIRMATION_REQUIRED');
    expect(refused.errorText).toMatch(/Hint: .*--yes/);
    expect(readdirSync(folder)).toEqual(files);
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registryBefore);

    const refusedJson = await packer(root, ['rm', 'assets/sprites/enemies', '--delete-file', '--json']);
    expect(refusedJson.code).toBe(2);
    expect(refusedJson.json<ErrorJson>().error).toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
      data: { hint: expect.stringContaining('--yes') },
    });
    expect(readdirSync(folder)).toEqual(files);

    // Preview-only output is unaffected.
    const dryRun = await packer(root, ['rm', 'assets/sprites/enemies', '--delete-file', '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain(`File changes (${files.length}):`);
    expect(readdirSync(folder)).toEqual(files);

    // Non-destructive mutations too: every apply without a terminal needs --yes.
    writeFileSync(path.join(root, 'assets/text/notes.txt'), 'notes\n');
    const add = await packer(root, ['add', 'assets/text/notes.txt']);
    expect(add.code).toBe(2);
    expect(add.errorText).toContain('Code: CONFIRMATION_REQUIRED');
    expect(registry(root).some((entry) => entry.path === 'assets/text/notes.txt')).toBe(false);

    const confirmed = await packer(root, ['rm', 'assets/sprites/enemies', '--delete-file', '--yes']);
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/Applied: revision \d+ → \d+/);
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    expect(registry(root).some((entry) => entry.path.startsWith('assets/sprites/enemies/'))).toBe(false);
  });

  test("a blocked mutation is asked of the packer: it is audited, and the error is the packer's own", async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    // No --yes and no terminal: a blocked plan needs no confirmation, because the packer refuses it anyway.
    const blocked = await packer(root, ['mv', 'assets/sprites/ui/button.png', 'assets/sprites/ui/panel.png']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/✖ blocker \w+ /);
    expect(blocked.errorText).toMatch(/The move plan has 1 blocker\(s\): /);
    expect(blocked.errorText).toContain('Code: BLOCKED');
    expect(blocked.errorText).not.toContain('Not applied:');
    expect(existsSync(path.join(root, 'assets/sprites/ui/button.png'))).toBe(true);

    const history = (await packer(root, ['history', '--json'])).json<{ items: AuditRecord[] }>();
    expect(history.items.at(-1)).toMatchObject({
      result: 'blocked',
      scope: { type: 'move' },
      actor: { client: 'cli:mv' },
      error: { code: 'BLOCKED' },
    });

    // --dry-run never applies; a blocked preview fails like `packer check`, and leaves no audit record.
    const dryRun = await packer(root, [
      'mv',
      'assets/sprites/ui/button.png',
      'assets/sprites/ui/panel.png',
      '--dry-run',
      '--json',
    ]);
    expect(dryRun.code).toBe(1);
    expect(dryRun.json<MutationJson>()).toMatchObject({ applied: false, plan: { blockers: [expect.anything()] } });
    expect((await packer(root, ['history', '--json'])).json<{ items: AuditRecord[] }>().items).toHaveLength(
      history.items.length,
    );
  });
});

describe.concurrent('settings, -C and build --json', { timeout: TIMEOUT }, () => {
  test('set passes settings as typed: "007" stays a string for a string setting and becomes 7 for a number one', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    // sample-game declares text.encoding a string, image.maxSize a number and image.premultiply a boolean.
    expect((await packer(root, ['set', 'assets/text/locale/en.txt', 'encoding=007', '--yes'])).code).toBe(0);
    expect(registry(root).find((entry) => entry.path === 'assets/text/locale/en.txt')?.settings).toEqual({
      encoding: '007',
    });
    expect(
      (await packer(root, ['set', 'assets/sprites/ui/cursor.png', 'maxSize=007', 'premultiply=false', '--yes'])).code,
    ).toBe(0);
    expect(registry(root).find((entry) => entry.path === 'assets/sprites/ui/cursor.png')?.settings).toEqual({
      maxSize: 7,
      premultiply: false,
    });

    const bad = await packer(root, ['set', 'assets/sprites/ui/cursor.png', 'maxSize=big', '--yes', '--json']);
    expect(bad.code).toBe(1);
    const { error } = bad.json<ErrorJson>();
    expect(error.code).toBe('BLOCKED');
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'INVALID_SETTINGS',
        message: expect.stringContaining('setting "maxSize" must be a number, got "big"'),
      }),
    ]);
  });

  test('-C <dir> runs as if started there: path arguments are relative to it', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'assets/text/notes.txt'), 'notes\n');
    const elsewhere = path.dirname(root);
    const added = await packer(elsewhere, [
      '-C',
      path.basename(root),
      'add',
      'assets/text/notes.txt',
      '--yes',
      '--json',
      '--no-daemon',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json<MutationJson>().applied).toBe(true);
    expect(registry(root).find((entry) => entry.path === 'assets/text/notes.txt')).toMatchObject({ kind: 'text' });
    // A subfolder as -C: paths are relative to it, as with `git -C`.
    const shown = await packer(elsewhere, [
      'show',
      '-C',
      path.join(path.basename(root), 'assets/text'),
      'notes.txt',
      '--json',
      '--no-daemon',
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json<{ asset: RegistryEntry }>().asset.path).toBe('assets/text/notes.txt');

    // init takes it too: its folder argument is relative to -C.
    const folder = await emptyFolder(onTestFinished);
    const init = await packer(path.dirname(folder), ['-C', path.basename(folder), 'init', 'game', '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.json<{ root: string }>().root).toBe(path.join(folder, 'game'));
    expect(existsSync(path.join(folder, 'game', 'packer.json'))).toBe(true);
  });

  test('build --json prints the build report as its one JSON document', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const build = await packer(root, ['build', '--json', '--no-daemon']);
    expect(build.code, build.stderr).toBe(0);
    const report = build.json<BuildReport>();
    expect(report.packs.length).toBeGreaterThan(0);
    expect(report.counts.failed).toBe(0);
    // The report names the files the build wrote.
    for (const pack of report.packs) expect(existsSync(path.join(root, pack.file)), pack.file).toBe(true);
  });
});

describe.concurrent(
  'human output escapes what the project holds; errors are one packer error, not a stack',
  { timeout: TIMEOUT },
  () => {
    test('names with ESC ] 0;pwned BEL, CSI and bidi bytes render escaped in check, ls, status and show; --json stays raw', async ({
      expect,
      onTestFinished,
    }) => {
      const root = await fixtureProject('sample-game', onTestFinished);
      const osc = '\u001B]0;pwned\u0007';
      const csi = '\u001B[31m';
      // A title-setting OSC and a colour CSI in a file name, a tag and the project name; a right-to-left override
      // (a name the registry can hold) that would show "report‮txt.exe" as "reportexe.txt".
      writeFileSync(path.join(root, `assets/text/evil${osc}${csi}red.txt`), 'x\n');
      const bidi = 'assets/text/report\u202Etxt.exe.txt';
      writeFileSync(path.join(root, bidi), 'y\n');
      const config = JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8')) as { name: string };
      writeFileSync(path.join(root, 'packer.json'), JSON.stringify({ ...config, name: `game${osc}` }, null, 2));

      const check = await packer(root, ['check']);
      // The packer may already escape a name it cannot hold in its own message; either way nothing raw gets through.
      expect(check.stdout).toMatch(/evil\\x1[bB]\]0;pwned\\x07\\x1[bB]\[31mred\.txt/);
      expect(check.stdout).toContain('report\\u202Etxt.exe.txt');

      const untracked = await packer(root, ['ls', '--status', 'untracked']);
      expect(untracked.code).toBe(0);
      expect(untracked.stdout).toContain('report\\u202Etxt.exe.txt');

      expect((await packer(root, ['add', bidi, '--yes'])).code).toBe(0);
      // A tag is an identifier: one with a control character is refused (INVALID_TAG), and the refusal shows it
      // escaped. A setting value may hold one; it is shown escaped too.
      const refused = await packer(root, ['set', bidi, '--tag', `tag${osc}`, '--yes']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('INVALID_TAG  Tag "tag\\u001b]0;pwned\\u0007" holds the control character');
      expect((await packer(root, ['set', bidi, 'encoding=' + csi, '--tag', 'tagged', '--yes'])).code).toBe(0);
      const ls = await packer(root, ['ls', 'assets/text']);
      expect(ls.stdout).toContain('report\\u202Etxt.exe.txt  [tagged]');
      const show = await packer(root, ['show', bidi]);
      expect(show.code).toBe(0);
      expect(show.stdout).toContain('report\\u202Etxt.exe.txt');
      expect(show.stdout).toContain('settings  {"encoding":"\\u001b[31m"}');
      expect(show.stdout).toMatch(/^ {2}tags +tagged$/m);
      const status = await packer(root, ['status']);
      expect(status.stdout).toContain('game\\x1B]0;pwned\\x07  revision');

      for (const run of [check, untracked, refused, ls, show, status]) {
        expect(run.stdout).not.toMatch(RAW_CONTROL);
        expect(run.stderr).not.toMatch(RAW_CONTROL);
      }
      // --json is for programs: raw text, which JSON itself escapes.
      const json = await packer(root, ['show', bidi, '--json']);
      expect(json.json<{ asset: RegistryEntry }>().asset).toMatchObject({
        path: bidi,
        tags: ['tagged'],
        settings: { encoding: csi },
      });
    });

    test("--no-daemon prints the packer's error (message, hint, code) exactly as the daemon path does, with no stack", async ({
      expect,
      onTestFinished,
    }) => {
      const root = await fixtureProject('sample-game', onTestFinished);
      const missing = 'a_01JQZZZZZZZZZZZZZZZZZZZZZZ';
      const inProcess = await packer(root, ['--no-daemon', 'show', missing]);
      expect(inProcess.code).toBe(1);
      expect(inProcess.stderr).not.toMatch(/^\s+at /m);
      expect(inProcess.stderr).not.toContain('JSONRPC');
      expect(inProcess.errorText).toBe(
        `Error: No asset has id ${missing}. Hint: Run \`packer ls\` to see registered assets, or \`packer add\` to register a file. Code: NOT_FOUND`,
      );
      const throughDaemon = await packer(root, ['show', missing], { env: developerEnv() });
      expect(throughDaemon.stderr).toBe(inProcess.stderr);
    });
  },
);
