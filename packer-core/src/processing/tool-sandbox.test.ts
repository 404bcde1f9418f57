import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProjectConfig, type ProjectConfigInput, type ToolRule } from '../contract/config-schema.js';
import type { PackerError } from '../contract/errors.js';
import {
  BUILD_TEST_CONFIG,
  openBuildProject,
  removeTestProjects,
  trackTestProject,
} from '../testing/build-test-project.js';
import { packFilesOf } from '../packs/pack-files.js';
import { PackReader } from '../packs/pack-reader.js';
import { toolSandboxState } from './processors/tool-sandbox-state.js';
import { BWRAP_ENV, probeToolSandbox } from './processors/tool-sandbox.js';
import { runBuild } from './run-build.js';

afterAll(removeTestProjects);

const sandbox = probeToolSandbox();
if (!sandbox.available) {
  // CI installs bubblewrap (.ci/run); without it only the fallback is tested, and that must not go unnoticed.
  console.warn(
    `\n!!! SANDBOX TESTS SKIPPED: ${sandbox.reason}. Only the unsandboxed fallback of external tools is tested. ${sandbox.hint}\n`,
  );
}

function toolConfig(tool: Partial<ToolRule> & { command: string }): ProjectConfigInput {
  return {
    ...BUILD_TEST_CONFIG,
    kinds: { ...BUILD_TEST_CONFIG.kinds, blob: { extensions: ['.dat'], processor: 'tool' } },
    tools: { tool },
  };
}

async function readEntry(root: string, config: ProjectConfig, name: string): Promise<Buffer> {
  const reader = await PackReader.open(packFilesOf(root, config, 'all').pack);
  try {
    return await reader.read(name);
  } finally {
    await reader.close();
  }
}

/** Runs `body` with PACKER_BWRAP set as given (`none` forces the unsandboxed fallback). */
async function withBwrapEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const previous = process.env[BWRAP_ENV];
  if (value === undefined) delete process.env[BWRAP_ENV];
  else process.env[BWRAP_ENV] = value;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env[BWRAP_ENV];
    else process.env[BWRAP_ENV] = previous;
  }
}

// A hostile tool: it tries everything the sandbox forbids and writes what it managed into its output.
const SPY = `
const fs = require('fs'), net = require('net'), path = require('path');
const [daemonPid, port, outside, input, output] = process.argv.slice(1);
const sibling = path.join(path.dirname(input), 'secret.txt');
const attempt = (f) => { try { return { ok: true, value: f() }; } catch (error) { return { ok: false, error: error.code || String(error) }; } };
const environs = [];
for (const entry of fs.readdirSync('/proc')) {
  if (/^\\d+$/.test(entry)) try { environs.push(fs.readFileSync('/proc/' + entry + '/environ', 'latin1')); } catch {}
}
const report = {
  daemonEnviron: attempt(() => fs.readFileSync('/proc/' + daemonPid + '/environ', 'latin1')),
  parentEnviron: attempt(() => fs.readFileSync('/proc/' + process.ppid + '/environ', 'latin1')),
  environs,
  env: process.env,
  writeOutside: attempt(() => fs.writeFileSync(path.join(outside, 'escaped.txt'), 'x')),
  writeProject: attempt(() => fs.writeFileSync(path.join(path.dirname(input), 'escaped.txt'), 'x')),
  openInputForWriting: attempt(() => fs.closeSync(fs.openSync(input, 'r+'))),
  readSibling: attempt(() => fs.readFileSync(sibling, 'utf8')),
  listInputFolder: attempt(() => fs.readdirSync(path.dirname(input))),
  readInput: attempt(() => fs.readFileSync(input, 'utf8')),
};
const socket = net.connect(Number(port), '127.0.0.1');
const done = (outcome) => { report.connect = outcome; socket.destroy(); fs.writeFileSync(output, JSON.stringify(report)); };
socket.on('connect', () => done('connected'));
socket.on('error', (error) => done(error.code));
`;

interface SpyReport {
  daemonEnviron: { ok: boolean; value?: string };
  parentEnviron: { ok: boolean; value?: string };
  environs: string[];
  env: Record<string, string>;
  writeOutside: { ok: boolean };
  writeProject: { ok: boolean };
  openInputForWriting: { ok: boolean; error?: string };
  readSibling: { ok: boolean };
  listInputFolder: { ok: boolean; value?: string[] };
  readInput: { ok: boolean; value?: string };
  connect: string;
}

describe('the external tool sandbox', () => {
  let listener: net.Server;
  let port = 0;
  let connections = 0;
  // A variable of this process's real environment block (what /proc/<pid>/environ shows), which no tool is given.
  const environMarker = readFileSync('/proc/self/environ', 'latin1')
    .split('\0')
    .find((entry) => /^[A-Z_]+=./.test(entry) && !/^(PATH|HOME|TMPDIR)=/.test(entry))!;

  beforeAll(async () => {
    listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  afterEach(() => {
    connections = 0;
  });

  async function runSpy(bwrap: string | undefined): Promise<{ report: SpyReport; root: string; outside: string }> {
    const outside = trackTestProject(mkdtempSync(path.join(tmpdir(), 'packer-outside-')));
    const project = await openBuildProject(
      { 'assets/spy.dat': 'input bytes', 'assets/secret.txt': 'sibling secret' },
      toolConfig({
        command: process.execPath,
        args: ['-e', SPY, String(process.pid), String(port), outside, '{input}', '{output}'],
      }),
    );
    await withBwrapEnv(bwrap, () => runBuild(project.workspace));
    const report = JSON.parse(
      (await readEntry(project.root, project.workspace.config, 'spy.dat')).toString(),
    ) as SpyReport;
    return { report, root: project.root, outside };
  }

  it.runIf(sandbox.available)(
    "keeps a hostile tool away from the daemon's environment, the network, the disk and its own input",
    async () => {
      const { report, root, outside } = await runSpy(undefined);
      // No view of the daemon's process: its /proc entry, its parent's and every environ in sight hold nothing of ours.
      expect(report.daemonEnviron.ok && report.daemonEnviron.value?.includes(environMarker)).toBe(false);
      expect(report.parentEnviron.ok && report.parentEnviron.value?.includes(environMarker)).toBe(false);
      expect(report.environs.some((environ) => environ.includes(environMarker))).toBe(false);
      // bwrap sets PWD (the work dir) after --chdir; nothing else is added.
      expect(Object.keys(report.env).sort()).toEqual(['HOME', 'PATH', 'PWD', 'TMPDIR']);
      expect(report.env.PWD).toBe(report.env.HOME);
      // No network: the listener on the host's loopback is out of reach.
      expect(report.connect).toBe('ECONNREFUSED');
      expect(connections).toBe(0);
      // Writes land nowhere but the output folder; the input is read-only; nothing else of the project is visible.
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(path.join(root, 'assets/escaped.txt'))).toBe(false);
      expect(report.openInputForWriting).toEqual({ ok: false, error: 'EROFS' });
      expect(readFileSync(path.join(root, 'assets/spy.dat'), 'utf8')).toBe('input bytes');
      expect(report.readSibling.ok).toBe(false);
      expect(report.listInputFolder.value?.filter((name) => name !== 'escaped.txt')).toEqual(['spy.dat']);
      expect(report.readInput).toEqual({ ok: true, value: 'input bytes' });
    },
  );

  it('falls back to the scrubbed environment without bubblewrap: the same spy then sees everything, and health says so', async () => {
    const { report, outside } = await runSpy('none');
    // What the sandbox prevents, shown happening without it: the test above is not vacuous.
    expect(report.environs.some((environ) => environ.includes(environMarker))).toBe(true);
    expect(report.connect).toBe('connected');
    expect(report.readSibling.ok).toBe(true);
    expect(readdirSync(outside)).toEqual(['escaped.txt']);
    expect(report.openInputForWriting.ok).toBe(true);
    expect(Object.keys(report.env).sort()).toEqual(['HOME', 'PATH', 'TMPDIR']);

    const config = ProjectConfig.parse(toolConfig({ command: 'cp', args: ['{input}', '{output}'] }));
    const health = await withBwrapEnv('none', async () => toolSandboxState(config));
    expect(health).toEqual({
      backend: 'none',
      warning: expect.stringMatching(
        /^No sandbox for external tools: bubblewrap \(bwrap\) is disabled by PACKER_BWRAP=none\. Tools "tool" run with only a scrubbed environment/,
      ),
      hint: expect.any(String),
    });
  });

  it('blocks a build whose tool requires the sandbox when bubblewrap is missing, and runs nothing', async () => {
    const outside = trackTestProject(mkdtempSync(path.join(tmpdir(), 'packer-outside-')));
    const { workspace } = await openBuildProject(
      { 'assets/a.dat': 'x' },
      toolConfig({ command: 'touch', args: [path.join(outside, 'ran'), '{output}'], sandbox: 'required' }),
    );
    const error = await withBwrapEnv('none', () =>
      runBuild(workspace).catch((caught: unknown) => caught as PackerError),
    );
    expect(error.code).toBe('BLOCKED');
    expect(error.data.blockers).toEqual([
      expect.objectContaining({
        code: 'SANDBOX_UNAVAILABLE',
        path: 'packer.json',
        message: expect.stringContaining(
          'Tool "tool" (used by kind "blob") cannot run: it sets "sandbox": "required", and bubblewrap (bwrap) is disabled',
        ),
      }),
    ]);
    expect(readdirSync(outside)).toEqual([]);
  });

  it.runIf(sandbox.available)(
    'binds a tool binary installed outside /usr, and lets it read only the paths it declares in readPaths',
    async () => {
      const install = trackTestProject(mkdtempSync(path.join(tmpdir(), 'packer-tool-install-')));
      const data = trackTestProject(mkdtempSync(path.join(tmpdir(), 'packer-tool-data-')));
      copyFileSync('/usr/bin/cp', path.join(install, 'mycp'));
      chmodSync(path.join(install, 'mycp'), 0o755);
      writeFileSync(path.join(data, 'palette.txt'), 'declared data');
      const tool = { command: path.join(install, 'mycp'), args: [path.join(data, 'palette.txt'), '{output}'] };
      const { root, workspace } = await openBuildProject({ 'assets/a.dat': 'x' }, toolConfig(tool));
      const error = (await runBuild(workspace).catch((caught: unknown) => caught)) as PackerError;
      expect(error.data.blockers).toEqual([
        expect.objectContaining({
          code: 'PROCESSOR_FAILED',
          message: expect.stringMatching(/exited with code 1: .*palette\.txt.*No such file or directory/),
        }),
      ]);

      writeFileSync(path.join(root, 'packer.json'), JSON.stringify(toolConfig({ ...tool, readPaths: [data] })));
      await workspace.reloadConfig();
      await runBuild(workspace);
      expect((await readEntry(root, workspace.config, 'a.dat')).toString()).toBe('declared data');
    },
  );

  it.runIf(sandbox.available)(
    'reports bubblewrap in health when tools run in it, and warns about a tool that opts out',
    () => {
      const config = ProjectConfig.parse({
        ...toolConfig({ command: 'cp', args: ['{input}', '{output}'] }),
        tools: { safe: { command: 'cp' }, loose: { command: 'cp', sandbox: 'off' } },
      });
      expect(toolSandboxState(ProjectConfig.parse(toolConfig({ command: 'cp' })))).toEqual({
        backend: 'bubblewrap',
        version: expect.stringMatching(/^bubblewrap /),
      });
      expect(toolSandboxState(config)).toMatchObject({
        backend: 'bubblewrap',
        warning: 'Tool "loose" runs without a sandbox ("sandbox": "off" in packer.json).',
      });
    },
  );
});
