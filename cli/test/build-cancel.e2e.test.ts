import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'vitest';
import { spawnPacker } from './support/packer-bin.js';
import { fixtureProject, runningDaemonPid } from './support/temp-project.js';
import { useSlowAudioTool } from './support/slow-tool.js';

// Ctrl-C during `packer build` (no terminal: plain progress lines) asks the packer to cancel. The build's last line,
// `cancelled: <reason>`, is printed once, by the progress on stdout; the command adds nothing of its own and exits 1
// (README: 1 is a failure; a cancelled build did not do what was asked).

/** The audio kind's tool sleeps this long: the build is still running when Ctrl-C comes, whatever the machine. */
const SLOW_TOOL_SECONDS = 30;

describe('packer build cancelled with Ctrl-C', { timeout: 90_000 }, () => {
  test('prints its cancelled line once across stdout and stderr, and exits 1', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    await useSlowAudioTool(root, SLOW_TOOL_SECONDS);

    const child = spawnPacker(root, ['build']);
    onTestFinished(() => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    let interruptedAt: number | undefined;
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // The first progress event: the build runs, its operation id is known to the CLI.
      if (interruptedAt === undefined && /^progress: /m.test(stdout)) {
        interruptedAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const both = `${stdout}${stderr}`;

    expect(interruptedAt, `no progress line came.\nstdout: ${stdout}\nstderr: ${stderr}`).toBeDefined();
    // Well under the tool's own sleep: the cancel ended the build, not the tool finishing.
    expect(Date.now() - interruptedAt!).toBeLessThan((SLOW_TOOL_SECONDS / 2) * 1000);
    expect(code, both).toBe(1);
    const finalLines = both.split('\n').filter((line) => /cancelled: /.test(line));
    expect(finalLines, both).toHaveLength(1);
    expect(stdout).toMatch(/^cancelled: cancelled by request$/m);
    expect(both.match(/cancelled by request/g), both).toHaveLength(1);
    // Nothing the packer did not say: no second line, no code of the CLI's own.
    expect(stderr).not.toContain('Code:');
    expect(both).not.toMatch(/^completed /m);
    expect(both).not.toMatch(/^\s+at /m);

    // The daemon that ran the build lives on; nothing of the cancelled build was put in place.
    expect(runningDaemonPid(root)).toBeDefined();
    const buildDir = path.join(root, 'build');
    expect(existsSync(buildDir) ? await readdir(buildDir) : []).toEqual([]);
  });
});
