import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, test } from 'vitest';
import { generateWorkspace } from '@packer/fixtures';
import { developerEnv, packer, type PackerRun } from './support/packer-bin.js';
import { disposeProject } from './support/temp-project.js';

// What the bin loads decides most of a read command's time: Node starts in ~40 ms, the daemon answers a status in
// ~1 ms, and every module file costs opens, stats and compilation. These tests pin what the common read commands
// load, through the real bin as a child process (NODE_OPTIONS preloads a logger of every file loaded).

const CLI_ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODULE_LOGGER = fileURLToPath(new URL('./support/module-log/module-log.mjs', import.meta.url));
const COMMANDS_DIR = path.join(CLI_ROOT, 'dist', 'commands');
const MANIFEST = path.join(CLI_ROOT, 'oclif.manifest.json');

/** Runs the bin and returns its run with the files it loaded, relative to the repository where inside it. */
async function packerLoading(
  root: string,
  args: readonly string[],
  logFolder: string,
): Promise<{ run: PackerRun; loaded: string[]; intl: string[] }> {
  const log = path.join(logFolder, `modules-${args.join('-').replace(/\W+/g, '_')}.txt`);
  const env = developerEnv({ MODULE_LOG: log, NODE_OPTIONS: `--import ${pathToFileURL(MODULE_LOGGER).href}` });
  const run = await packer(root, args, { env });
  const text = await readFile(log, 'utf8').catch(() => '');
  const lines = [...new Set(text.split('\n').filter(Boolean))];
  const loaded = lines.filter((line) => line.startsWith('file:')).map((url) => fileURLToPath(url));
  const intl = lines.filter((line) => line.startsWith('intl:')).map((line) => line.slice('intl:'.length));
  return { run, loaded, intl };
}

/** The packages among `files`, by the node_modules folder they come from (`zod`, `@oclif/core`, …). */
function packagesOf(files: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const match = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (match) names.add(match[1]!.replace('\\', '/'));
  }
  return names;
}

/** The command files under cli/dist/commands among `files`, as `daemon/start.js`. */
function commandFilesOf(files: readonly string[]): string[] {
  return files
    .filter((file) => file.startsWith(COMMANDS_DIR + path.sep))
    .map((file) => path.relative(COMMANDS_DIR, file).split(path.sep).join('/'))
    .sort();
}

describe('what the bin loads for the common read commands', { timeout: 60_000 }, () => {
  test('a plain `packer status` and `packer set … --yes` (and --json to a pipe) load neither zod, oclif, ink nor Intl, and answer as before', async ({
    expect,
    onTestFinished,
  }) => {
    const folder = await mkdtemp(path.join(tmpdir(), 'packer-startup-'));
    onTestFinished(() => rm(folder, { recursive: true, force: true }));
    const root = path.join(folder, 'project');
    onTestFinished(() => disposeProject(root));
    await generateWorkspace({ root, files: 20, register: true, seed: 4, depth: 1 });
    // Started first and apart: a daemon started by a logged run would inherit the logger and log its own modules.
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);

    const human = await packerLoading(root, ['status'], folder);
    expect(human.run.code, human.run.stderr).toBe(0);
    expect(human.run.stdout).toMatch(/^assets: 20 \(/m);
    // zod builds every schema of the contract at import (~20 ms and a GC); a status reads a summary of counts.
    const heavy = ['zod', '@oclif/core', 'ink', 'react'];
    expect([...packagesOf(human.loaded)].filter((name) => heavy.includes(name))).toEqual([]);
    expect(commandFilesOf(human.loaded)).toEqual([]);
    // Nor Intl: its first use loads ICU's data (`(5).toLocaleString('en-US')` alone took ~30 ms).
    expect(human.intl).toEqual([]);

    const json = await packerLoading(root, ['status', '--json'], folder);
    expect(json.run.code, json.run.stderr).toBe(0);
    expect(json.run.json<{ summary: { summary: { assets: number } } }>().summary.summary.assets).toBe(20);
    expect([...packagesOf(json.loaded)].filter((name) => heavy.includes(name))).toEqual([]);

    // The one-asset change people script: `packer set … --yes`, for people and with --json.
    const listed = await packer(root, ['ls', '--json']);
    const target = listed.json<{ items: { path: string }[] }>().items[0]!.path;
    for (const args of [
      ['set', target, '--tag', 'lean', '--yes'],
      ['set', target, '--untag', 'lean', '--yes', '--json'],
    ]) {
      const set = await packerLoading(root, args, folder);
      expect(set.run.code, set.run.stderr).toBe(0);
      expect(set.run.stdout).toContain(args.includes('--json') ? '"applied": true' : 'Applied: revision');
      expect([...packagesOf(set.loaded)].filter((name) => heavy.includes(name))).toEqual([]);
      expect(commandFilesOf(set.loaded)).toEqual([]);
      expect(set.intl).toEqual([]);
    }
  });

  test('a read command through oclif imports its own command file only (the manifest), and no ink', async ({
    expect,
    onTestFinished,
  }) => {
    const folder = await mkdtemp(path.join(tmpdir(), 'packer-startup-'));
    onTestFinished(() => rm(folder, { recursive: true, force: true }));
    const root = path.join(folder, 'project');
    onTestFinished(() => disposeProject(root));
    await generateWorkspace({ root, files: 12, register: true, seed: 5, depth: 1 });
    // Started apart (see above); any oclif run also leaves a fresh manifest, so the next run is the common one.
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);

    const ls = await packerLoading(root, ['ls', '--json'], folder);
    expect(ls.run.code, ls.run.stderr).toBe(0);
    expect(ls.run.json<{ total: number }>().total).toBe(12);
    expect(commandFilesOf(ls.loaded)).toEqual(['ls.js']);
    expect([...packagesOf(ls.loaded)].filter((name) => ['ink', 'react', 'zod'].includes(name))).toEqual([]);

    const help = await packerLoading(root, ['show', '--help'], folder);
    expect(help.run.code, help.run.stderr).toBe(0);
    expect(help.run.stdout).toContain('USAGE');
    expect(commandFilesOf(help.loaded)).toEqual([]); // help comes from the manifest
  });

  test('a manifest older than the compiled CLI is written again before oclif reads it, listing every command', async ({
    expect,
    onTestFinished,
  }) => {
    const folder = await mkdtemp(path.join(tmpdir(), 'packer-startup-'));
    onTestFinished(() => rm(folder, { recursive: true, force: true }));
    await generateWorkspace({ root: folder, files: 3, seed: 6, depth: 0 });
    await packer(folder, ['daemon', 'status', '--json']); // any oclif run leaves the manifest in place
    // As after `tsc -b` compiled a changed command (cli/dist/.tsbuildinfo is newer than the manifest).
    utimesSync(MANIFEST, new Date(0), new Date(0));

    const run = await packer(folder, ['daemon', 'status', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toEqual({ running: false });
    expect(statSync(MANIFEST).mtimeMs).toBeGreaterThanOrEqual(
      statSync(path.join(CLI_ROOT, 'dist', '.tsbuildinfo')).mtimeMs,
    );
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as { commands: Record<string, unknown> };
    const files = (await readdir(COMMANDS_DIR, { recursive: true }))
      .filter((file) => file.endsWith('.js'))
      .map((file) => file.replace(/\.js$/, '').split(path.sep).join(':'))
      .sort();
    expect(Object.keys(manifest.commands).sort()).toEqual(files);
  });
});
