import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { fixturePath, GODOT_GDIGNORE_FOLDERS, writeEngineFixture } from '@packer/fixtures';
import type { Plan, RegistryEntry } from '@packer/core/contract';
import { packer } from './support/packer-bin.js';
import { disposeProject, emptyFolder, runningDaemonPid } from './support/temp-project.js';

// Findings of the issue-12 hostile-user QA pass (/work/notes/qa-findings.md), reproduced as the user met them:
// through the real bin and the project daemon.

const TIMEOUT = 90_000;
type MutationJson = { plan: Plan; applied: boolean };

/** A temp copy of the sample game without any `.packer/` the fixture folder may hold (a daemon someone ran there). */
async function sampleGame(onFinished: Parameters<typeof emptyFolder>[0]): Promise<string> {
  const root = await emptyFolder(onFinished);
  const source = fixturePath('sample-game');
  cpSync(source, root, { recursive: true, filter: (item) => !item.startsWith(path.join(source, '.packer')) });
  return root;
}

/** The Godot-shaped fixture, adopted (`packer init`, `packer add . --yes`); removed when the test ends. */
async function adoptedGodot(onFinished: Parameters<typeof emptyFolder>[0]): Promise<string> {
  const root = writeEngineFixture('godot-game');
  onFinished(() => disposeProject(root));
  for (const args of [['init'], ['add', '.', '--yes']]) {
    const run = await packer(root, args);
    if (run.code !== 0) throw new Error(`packer ${args.join(' ')} failed: ${run.stdout}${run.stderr}`);
  }
  return root;
}

/** Sets or clears the immutable attribute (root on ext4 and the like); false where the machine cannot. */
function chattr(flag: '+i' | '-i', file: string): boolean {
  try {
    execFileSync('chattr', [flag, file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const registeredPaths = (root: string): string[] =>
  (JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: RegistryEntry[] }).assets
    .map((entry) => entry.path)
    .sort();

describe.concurrent('QA findings (real bin, daemon)', { timeout: TIMEOUT }, () => {
  test('#6: one odd file name does not block a folder add or a reconcile; named by itself it still blocks', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    mkdirSync(path.join(root, 'assets/weird'));
    for (const name of ['ok.png', 'tab\tname.png', 'back\\slash.png', 'also-ok.png'])
      writeFileSync(path.join(root, 'assets/weird', name), name);

    const dry = await packer(root, ['reconcile', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const reconcile = dry.json<MutationJson>().plan;
    expect(reconcile.blockers).toEqual([]);
    expect(reconcile.registryMutations.map((item) => item.op === 'add' && item.entry.path)).toEqual(
      expect.arrayContaining(['assets/weird/ok.png', 'assets/weird/also-ok.png']),
    );
    expect(
      reconcile.warnings
        .filter((item) => item.code === 'UNSUPPORTED_FILE_NAME')
        .map((item) => item.path)
        .sort(),
    ).toEqual(['assets/weird/back\\\\slash.png', 'assets/weird/tab\\x09name.png']);

    const added = await packer(root, ['add', 'assets/weird', '--yes']);
    expect(added.code, added.stderr).toBe(0);
    // Each left-out name is printed escaped, with the rename hint; nothing raw reaches the terminal.
    expect(added.stdout).toContain('UNSUPPORTED_FILE_NAME');
    expect(added.stdout).toContain('assets/weird/tab\\x09name.png');
    expect(added.stdout).toContain('assets/weird/back\\\\slash.png');
    expect(added.stdout).toMatch(/hint: Rename it without backslashes/);
    expect(added.stdout).not.toContain('\t');
    expect(registeredPaths(root)).toEqual(expect.arrayContaining(['assets/weird/also-ok.png', 'assets/weird/ok.png']));
    expect(registeredPaths(root).filter((item) => item.startsWith('assets/weird/'))).toHaveLength(2);

    // Named explicitly, the odd file is a blocker (the user asked for that very file).
    const named = await packer(root, ['add', 'assets/weird/tab\tname.png', '--yes']);
    expect(named.code).toBe(1);
    expect(named.stdout).toContain('INVALID_PATH');
    expect(named.stdout).toContain('assets/weird/tab\\x09name.png');

    // The registry the folder add wrote reads back: a status through a fresh daemon has no INVALID_REGISTRY.
    const check = await packer(root, ['check', '--json']);
    expect(check.stdout).not.toContain('INVALID_REGISTRY');
  });

  test('#10: a target whose sidecar name would pass 255 bytes is a preview blocker; a failed commit says it was rolled back', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await adoptedGodot(onTestFinished);
    const before = registeredPaths(root);
    // 248 + ".png" = 252 bytes: the file fits, its carried sidecar `<name>.import` (259 bytes) cannot exist.
    const long = `sprites/${'H'.repeat(248)}.png`;
    const mv = await packer(root, ['mv', 'sprites/hero.png', long, '--yes']);
    expect(mv.code).toBe(1);
    expect(mv.stdout).toContain('INVALID_PATH');
    expect(mv.stdout).toMatch(/is 259 bytes long \(the limit is 255\)/);
    expect(mv.stdout).toContain('hint: Choose a shorter name');
    expect(mv.errorText).not.toContain('ENAMETOOLONG');
    expect(existsSync(path.join(root, 'sprites/hero.png.import'))).toBe(true);
    expect(registeredPaths(root)).toEqual(before);
    // The file's own name over 255 bytes is said the same way.
    const own = await packer(root, ['mv', 'sprites/hero.png', `sprites/${'é'.repeat(130)}.png`, '--dry-run']);
    expect(own.code).toBe(1);
    expect(own.stdout).toMatch(/INVALID_PATH .*is 264 bytes long/);

    // A commit that fails on disk (its sidecar is immutable: rename gets EPERM) names the cause and says that
    // nothing changed.
    const sidecar = path.join(root, 'sprites/hero.png.import');
    if (!chattr('+i', sidecar)) return;
    onTestFinished(() => void chattr('-i', sidecar));
    const failed = await packer(root, ['mv', 'sprites/hero.png', 'sprites/player.png', '--yes']);
    chattr('-i', sidecar);
    expect(failed.code).toBe(1);
    expect(failed.errorText).toContain('EPERM');
    expect(failed.errorText).toMatch(/Hint: Nothing was changed: the operation was rolled back/);
    expect(failed.errorText).toContain('chattr -i');
    expect(existsSync(path.join(root, 'sprites/hero.png'))).toBe(true);
    expect(existsSync(sidecar)).toBe(true);
    expect(registeredPaths(root)).toEqual(before);
  });

  test('#11: an invalid-JSON packer.json message ends the parser\'s sentence before "The last valid configuration…"', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    expect((await packer(root, ['status'])).code).toBe(0);
    writeFileSync(path.join(root, 'packer.json'), '{ "name": "x", ');
    const check = await packer(root, ['check', '--json']);
    const items = check.json<{ items: { code: string; message: string }[] }>().items;
    const message = items.find((item) => item.code === 'INVALID_CONFIG')?.message ?? '';
    expect(message).toMatch(
      /Expected double-quoted property name in JSON at position \d+\. The last valid configuration stays in force\.$/,
    );
    expect(message).not.toMatch(/[^.] The last valid/);
  });

  test('#2: daemon status of a daemon that is alive but not answering says so, with its pid and a hint', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    expect((await packer(root, ['status'])).code).toBe(0);
    const pid = runningDaemonPid(root)!;
    expect(pid).toBeGreaterThan(0);
    // A stopped process is what a daemon whose event loop is blocked looks like from outside: alive, its socket
    // accepting, no answer to hello.
    process.kill(pid, 'SIGSTOP');
    onTestFinished(() => void process.kill(pid, 'SIGCONT'));
    // Each waits out the hello deadline (15 s), so both run at once.
    const [status, json] = await Promise.all([
      packer(root, ['daemon', 'status'], { timeoutMs: 60_000 }),
      packer(root, ['daemon', 'status', '--json'], { timeoutMs: 60_000 }),
    ]);
    process.kill(pid, 'SIGCONT');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`A packer daemon is running (pid ${pid}) but not answering.`);
    expect(status.stdout).toContain('hint: It may be busy');
    expect(status.stdout).not.toContain('No packer daemon is running');
    expect(json.json()).toEqual({ running: true, answering: false, pid });
    // Answering again, it reports as usual.
    const again = await packer(root, ['daemon', 'status']);
    expect(again.stdout).toContain(`running: pid ${pid}`);
  });

  test('#8: Godot adoption leaves out what Godot excludes: .gdignore folders and the project settings files', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await adoptedGodot(onTestFinished);
    const config = JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8')) as Record<string, unknown>;
    expect(config.ignoreFoldersWith).toEqual(['.gdignore']);
    const paths = registeredPaths(root);
    expect(paths).toEqual(expect.arrayContaining(['sprites/hero.png', 'scenes/main.tscn', 'icon.svg']));
    for (const folder of GODOT_GDIGNORE_FOLDERS)
      expect(paths.filter((file) => file.startsWith(`${folder}/`))).toEqual([]);
    expect(paths).not.toContain('project.godot');
    expect(paths).not.toContain('export_presets.cfg');

    // The marker taken away, the daemon's watcher finds the folder's files; put back, they are gone again.
    rmSync(path.join(root, 'docs/.gdignore'));
    const untracked = async (): Promise<string[]> =>
      (await packer(root, ['ls', '--status', 'untracked', '--json']))
        .json<{ items: { path: string }[] }>()
        .items.map((item) => item.path);
    expect(await untracked()).toContain('docs/design.md');
    writeFileSync(path.join(root, 'docs/.gdignore'), '');
    expect(await untracked()).not.toContain('docs/design.md');
  });

  test('#13: status past the listing cap of untracked infos counts the files once, not 1,001 info', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    mkdirSync(path.join(root, 'assets/generated'));
    for (let index = 0; index < 1200; index++)
      writeFileSync(path.join(root, `assets/generated/f${index}.txt`), String(index));
    const status = await packer(root, ['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('1200 untracked files');
    expect(status.stdout).toMatch(/diagnostics: 0 blockers, 0 warnings, 0 info besides the 1200 untracked files/);
    expect(status.stdout).not.toMatch(/1001 info/);
  });

  test('#9: names equal under Unicode normalisation collide like case; names Windows cannot hold are warned about', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await sampleGame(onTestFinished);
    expect((await packer(root, ['status'])).code).toBe(0);
    mkdirSync(path.join(root, 'assets/weird'));
    const nfc = 'caf\u00e9.png';
    const nfd = 'cafe\u0301.png';
    const windows = ['CON.png', 'a:b.png', 'q?.png', 'star*.png', 'trail space.png ', 'dot.'];
    for (const name of [nfc, nfd, 'fine.png', ...windows]) writeFileSync(path.join(root, 'assets/weird', name), name);

    type Check = { items: { code: string; severity: string; path?: string; subjects?: { path?: string }[] }[] };
    const before = (await packer(root, ['check', '--json'])).json<Check>().items;
    const collision = before.find((item) => item.code === 'CASE_COLLISION');
    expect(collision?.subjects?.map((item) => item.path).sort()).toEqual(
      [`assets/weird/${nfc}`, `assets/weird/${nfd}`].sort(),
    );
    const nonPortable = (items: Check['items']): string[] =>
      items
        .filter((item) => item.code === 'NON_PORTABLE_NAME')
        .map((item) => item.path!)
        .sort();
    expect(nonPortable(before)).toEqual(windows.map((name) => `assets/weird/${name}`).sort());
    expect(
      before.filter((item) => item.code === 'NON_PORTABLE_NAME').every((item) => item.severity === 'warning'),
    ).toBe(true);

    // Warnings do not stop registering them; registered, they are still reported (now about the assets).
    const added = await packer(root, ['add', 'assets/weird', '--yes']);
    expect(added.code, added.stderr).toBe(0);
    const after = (await packer(root, ['check', '--json'])).json<Check>().items;
    expect(nonPortable(after)).toEqual(nonPortable(before));
    expect(after.filter((item) => item.code === 'CASE_COLLISION')).toHaveLength(1);
    // A move onto a name that collides by normalisation alone is flagged in the preview too.
    const mv = await packer(root, [
      'mv',
      'assets/weird/fine.png',
      `assets/weird/CAFE\u0301.png`,
      '--dry-run',
      '--json',
    ]);
    const plan = mv.json<{ plan: Plan }>().plan;
    expect(plan.warnings.map((item) => item.code)).toContain('CASE_COLLISION');
  });
});
