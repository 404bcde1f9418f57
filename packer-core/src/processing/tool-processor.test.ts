import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectConfigInput, ToolRule } from '../contract/config-schema.js';
import type { PackerError } from '../contract/errors.js';
import {
  BUILD_TEST_CONFIG,
  buildOutputs,
  openBuildProject,
  removeTestProjects,
  trackTestProject,
} from '../testing/build-test-project.js';
import { packFilesOf } from '../packs/pack-files.js';
import { PackReader } from '../packs/pack-reader.js';
import { runBuild } from './run-build.js';
import { runTool } from './processors/tool-processor.js';

afterAll(removeTestProjects);

type ToolInput = Partial<ToolRule> & { command: string };

/** A project whose `.dat` files go through `tool`, and whose `.txt` files use the text processor. */
function toolConfig(tool: ToolInput): ProjectConfigInput {
  return {
    ...BUILD_TEST_CONFIG,
    kinds: { ...BUILD_TEST_CONFIG.kinds, blob: { extensions: ['.dat', '.png'], processor: 'tool' } },
    tools: { tool },
  };
}

/** A Node one-liner as a declared tool: `script` sees `process.argv[1..]` = the expanded template. */
function nodeTool(script: string, args: string[], extra: Partial<ToolRule> = {}): ToolInput {
  return { command: process.execPath, args: ['-e', script, ...args], ...extra };
}

async function readEntry(
  root: string,
  config: { packs: { name: string }[] } & Parameters<typeof packFilesOf>[1],
  name: string,
): Promise<Buffer> {
  const reader = await PackReader.open(packFilesOf(root, config, 'all').pack);
  try {
    return await reader.read(name);
  } finally {
    await reader.close();
  }
}

/** Pids of live processes (outside zombies) whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) &&
          !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

function filesNamed(dir: string, name: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === name);
}

describe('external tools', () => {
  it('passes hostile file names as plain absolute-path arguments: nothing reaches a shell', async () => {
    const files = {
      'assets/$(touch pwned).png': 'dollar',
      'assets/--help.png': 'dash',
      'assets/`touch pwned2`; rm -rf x.png': 'tick',
      'assets/ok.txt': 'ok',
    };
    const { root, workspace } = await openBuildProject(
      files,
      toolConfig({ command: 'cp', args: ['{input}', '{output}'] }),
    );
    await runBuild(workspace);
    expect(filesNamed(root, 'pwned')).toEqual([]);
    expect(filesNamed(root, 'pwned2')).toEqual([]);
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect((await readEntry(root, workspace.config, '$(touch pwned).png')).toString()).toBe('dollar');
    expect((await readEntry(root, workspace.config, '--help.png')).toString()).toBe('dash');
    expect((await readEntry(root, workspace.config, '`touch pwned2`; rm -rf x.png')).toString()).toBe('tick');
  });

  // Issue 9.11: `${HOME%%.packer*}` is the project root when a shell expands it in the tool's work dir.
  const HOSTILE = 'assets/a$(touch ${HOME%%.packer*}pwned).dat';

  it('rejects a template that embeds a placeholder in other text (a shell script, --opt={output}) and never runs it', async () => {
    const templates = [
      { command: '/bin/sh', args: ['-c', 'cp {input} {output}'] },
      { command: 'cp', args: ['{input}', '--target-directory={output}'] },
      { command: 'cp', args: ['x{input}', '{output}'] },
    ];
    for (const tool of templates) {
      const { root, workspace } = await openBuildProject({ [HOSTILE]: 'x' }, toolConfig(tool));
      const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
      expect(error.code).toBe('BLOCKED');
      expect(error.data.blockers).toEqual([
        expect.objectContaining({
          code: 'INVALID_TOOL',
          path: 'packer.json',
          message: expect.stringMatching(
            /args\[\d\] .* embeds \{(input|output)\}.* a placeholder must be a whole argument/,
          ),
        }),
      ]);
      expect(filesNamed(root, 'pwned')).toEqual([]);
    }
  });

  it('passes a hostile asset name to a shell only as data when the template keeps placeholders whole', async () => {
    const { root, workspace } = await openBuildProject(
      { [HOSTILE]: 'payload' },
      toolConfig({ command: '/bin/sh', args: ['-c', 'cp -- "$1" "$2"', 'sh', '{input}', '{output}'] }),
    );
    await runBuild(workspace);
    expect(filesNamed(root, 'pwned')).toEqual([]);
    expect((await readEntry(root, workspace.config, HOSTILE.slice('assets/'.length))).toString()).toBe('payload');
  });

  it('refuses a setting value starting with "-" unless the tool declares the setting in optionSettings', async () => {
    const outside = trackTestProject(mkdtempSync(path.join(tmpdir(), 'packer-outside-')));
    const config = toolConfig({ command: 'cp', args: ['{setting.mode}', '{input}', '{output}'] });
    (config.kinds!.blob as { settings?: Record<string, string> }).settings = { mode: 'string' };
    const { root, workspace } = await openBuildProject({ 'assets/a.dat': 'asset bytes' }, config);
    await workspace.apply({
      type: 'update',
      target: 'assets/a.dat',
      settings: { mode: `--target-directory=${outside}` },
    });
    const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'INVALID_SETTINGS',
        path: 'assets/a.dat',
        message: expect.stringContaining('setting "mode" is "--target-directory='),
        hint: expect.stringContaining('"optionSettings"'),
      }),
    ]);
    expect(readdirSync(outside)).toEqual([]);

    // Declared as an option: the value is passed (still as one argument).
    writeFileSync(
      path.join(root, 'packer.json'),
      JSON.stringify(
        toolConfig({ command: 'cp', args: ['{setting.mode}', '{input}', '{output}'], optionSettings: ['mode'] }),
      ),
    );
    const declared = JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8')) as ProjectConfigInput;
    (declared.kinds!.blob as { settings?: Record<string, string> }).settings = { mode: 'string' };
    writeFileSync(path.join(root, 'packer.json'), JSON.stringify(declared));
    await workspace.reloadConfig();
    await workspace.apply({ type: 'update', target: 'assets/a.dat', settings: { mode: '--preserve=mode' } });
    await runBuild(workspace);
    expect((await readEntry(root, workspace.config, 'a.dat')).toString()).toBe('asset bytes');
  });

  it('runs the tool with a scrubbed environment in a temp working dir, each template argument as one argument', async () => {
    const script =
      "require('fs').writeFileSync(process.argv[2], JSON.stringify({ env: process.env, cwd: process.cwd(), argv: process.argv.slice(1) }))";
    const config = toolConfig(nodeTool(script, ['{input}', '{output}', '--label', '{setting.label}']));
    (config.kinds!.blob as { settings?: Record<string, string> }).settings = { label: 'string' };
    const { root, workspace } = await openBuildProject({ 'assets/a b.dat': 'x' }, config);
    await workspace.apply({ type: 'update', target: 'assets/a b.dat', settings: { label: 'two words; $(rm -rf /)' } });
    process.env.PACKER_TEST_SECRET = 'do-not-leak';
    try {
      await runBuild(workspace);
    } finally {
      delete process.env.PACKER_TEST_SECRET;
    }
    const seen = JSON.parse((await readEntry(root, workspace.config, 'a b.dat')).toString()) as {
      env: Record<string, string>;
      cwd: string;
      argv: string[];
    };
    // PATH, and HOME and TMPDIR in the work dir; bubblewrap, when tools run in it, also sets PWD (the same dir).
    const { PWD: pwd = seen.cwd, ...env } = seen.env;
    expect(Object.keys(env).sort()).toEqual(['HOME', 'PATH', 'TMPDIR']);
    expect(seen.env.HOME).toBe(seen.cwd);
    expect(pwd).toBe(seen.cwd);
    expect(seen.cwd.startsWith(path.join(root, '.packer', 'cache', 'tmp'))).toBe(true);
    expect(existsSync(seen.cwd)).toBe(false);
    expect(seen.argv).toEqual([
      path.join(root, 'assets/a b.dat'),
      expect.stringMatching(/output\.dat$/),
      '--label',
      'two words; $(rm -rf /)',
    ]);
  });

  it('kills a hanging tool at its timeout and fails only that asset', async () => {
    const config = toolConfig({ command: 'sleep', args: ['60'], timeoutMs: 300 });
    const { root, workspace } = await openBuildProject(
      { 'assets/hang.dat': 'x', 'assets/ok.txt': 'fine' },
      {
        ...config,
        packs: [
          { name: 'all', include: ['assets/**'] },
          { name: 'text', include: ['assets/*.txt'] },
        ],
      },
    );
    const started = Date.now();
    const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.code).toBe('BLOCKED');
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'PROCESSOR_FAILED',
        path: 'assets/hang.dat',
        message: expect.stringContaining('did not finish within its timeout of 300 ms and was killed'),
      }),
    ]);
    const report = error.data.report as { packs: { pack: string; status: string }[]; counts: Record<string, number> };
    expect(report.counts).toEqual({ processed: 1, cached: 0, failed: 1 });
    expect(report.packs.map((pack) => [pack.pack, pack.status])).toEqual([
      ['all', 'failed'],
      ['text', 'written'],
    ]);
    expect(
      Object.keys(buildOutputs(root))
        .map((name) => name.replace(/\.[0-9a-f]{16}\.pack$/, '.<digest>.pack'))
        .sort(),
    ).toEqual(['text.<digest>.pack', 'text.manifest.json']);
  });

  it('fails an asset whose tool exits non-zero, floods its output, or writes nothing', async () => {
    const cases: [ToolInput, string][] = [
      [
        nodeTool("process.stderr.write('cannot frobnicate'); process.exit(3)", ['{input}', '{output}']),
        'exited with code 3: cannot frobnicate',
      ],
      [
        nodeTool("process.stdout.write('x'.repeat(100000))", ['{output}'], { maxOutputBytes: 1000 }),
        'wrote more than maxOutputBytes (1000)',
      ],
      [nodeTool('0', ['{input}']), 'wrote no file at the output path (none of its "args" passes {output})'],
      [{ command: 'packer-no-such-command', args: ['{output}'] }, 'could not be started'],
    ];
    for (const [tool, message] of cases) {
      const { workspace } = await openBuildProject({ 'assets/a.dat': 'x' }, toolConfig(tool));
      const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
      expect(error.data.blockers, message).toEqual([
        expect.objectContaining({ code: 'PROCESSOR_FAILED', message: expect.stringContaining(message) }),
      ]);
    }
  });

  it('cancels promptly: kills the running tool, keeps the previous packs, leaves no temp files', async () => {
    const marker = `packer-cancel-marker-${process.pid}-${Date.now()}`;
    const script =
      "require('fs').writeFileSync(process.argv[2] + '.pid', String(process.pid)); setTimeout(() => require('fs').copyFileSync(process.argv[1], process.argv[2]), 60000)";
    const { root, workspace } = await openBuildProject(
      { 'assets/a.dat': 'one', 'assets/b.txt': 'two' },
      toolConfig({ command: 'cp', args: ['{input}', '{output}'] }),
    );
    await runBuild(workspace);
    const before = buildOutputs(root);
    writeFileSync(
      path.join(root, 'packer.json'),
      JSON.stringify(toolConfig(nodeTool(script, ['{input}', '{output}', marker], { timeoutMs: 120_000 }))),
    );
    await workspace.reloadConfig();
    const controller = new AbortController();
    const pidFile = new Promise<number>((resolve) => {
      const scratch = path.join(root, '.packer', 'cache', 'tmp');
      const poll = setInterval(() => {
        const found = readdirSync(scratch, { recursive: true, encoding: 'utf8' }).find((file) => file.endsWith('.pid'));
        const pid = found ? Number(readFileSync(path.join(scratch, found), 'utf8')) : 0;
        if (pid > 0) {
          clearInterval(poll);
          resolve(pid);
        }
      }, 10);
    });
    const build = runBuild(workspace, { signal: controller.signal }).catch((caught: unknown) => caught);
    await pidFile;
    expect(processesWith(marker)).not.toEqual([]);
    const cancelledAt = Date.now();
    controller.abort();
    const error = (await build) as PackerError;
    expect(error.code).toBe('CANCELLED');
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    // The tool may run in a pid namespace (bubblewrap), where its own pid names nothing out here: find it by its
    // argument.
    expect(processesWith(marker)).toEqual([]);
    expect(buildOutputs(root)).toEqual(before);
  });

  it('a cancel that comes while the tool is being prepared never starts it', async () => {
    // The first tool run of a daemon imports execa before it spawns; a Ctrl-C at that moment was missed and the tool
    // ran its full time (a fresh daemon's `packer build` waited 20 s for a cancelled `sleep 20`).
    const marker = `packer-cancel-early-${process.pid}-${Date.now()}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'packer-tool-cancel-'));
    trackTestProject(dir);
    const source = path.join(dir, 'input.dat');
    writeFileSync(source, 'one');
    const tool = nodeTool('setTimeout(() => {}, 60000)', ['{input}', '{output}', marker], { timeoutMs: 120_000 });
    const controller = new AbortController();
    const run = runTool(
      'tool',
      { maxOutputBytes: 1 << 20, ...tool } as ToolRule,
      {
        absolute: source,
        expected: { size: 3, digest: '' },
        settings: {},
        signal: controller.signal,
        scratchFile: (suffix = '') => path.join(dir, `scratch${suffix}`),
      },
      dir,
    ).catch((caught: unknown) => caught);
    // runTool has checked the signal and is awaiting its import of execa: the cancel comes now.
    controller.abort();
    const error = (await run) as PackerError;
    expect(error.code).toBe('CANCELLED');
    expect(processesWith(marker)).toEqual([]);
  }, 20_000);
});
