import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Diagnostic, EventEnvelope } from '@packer/core/contract';
import { ndjson, packer } from './support/packer-bin.js';
import { emptyFolder, fixtureProject, runningDaemonPid } from './support/temp-project.js';

// QA #12: a file deleted while `packer build` runs, through the real bin and the project daemon.

const TIMEOUT = 60_000;

/**
 * Makes the sample game's audio go through a tool that holds the build: the first audio asset it runs on claims
 * the `hold` FIFO (rename, so only one does), writes its input path there and waits until the test writes to `go`.
 * FIFOs, so neither side polls: each blocks until the other opens its end.
 */
async function holdingProject(onFinished: Parameters<typeof emptyFolder>[0]) {
  const root = await fixtureProject('sample-game', onFinished);
  const fifos = await emptyFolder(onFinished);
  const [hold, go] = [path.join(fifos, 'hold'), path.join(fifos, 'go')];
  execFileSync('mkfifo', [hold, go]);
  const configFile = path.join(root, 'packer.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as {
    kinds: Record<string, { processor: string }>;
    tools: Record<string, unknown>;
  };
  const script = 'cp "$1" "$2"; if mv "$3" "$3.taken" 2>/dev/null; then printf %s "$1" > "$3.taken"; cat "$4"; fi';
  config.tools = {
    hold: { command: 'sh', args: ['-c', script, 'sh', '{input}', '{output}', hold, go], sandbox: 'off' },
  };
  config.kinds.audio!.processor = 'hold';
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return { root, hold, go };
}

describe('a file deleted while the build runs (QA #12)', () => {
  test.for([{ json: false }, { json: true }])(
    'is named once as deleted, with what to do (json: $json)',
    { timeout: TIMEOUT },
    async ({ json }, { onTestFinished }) => {
      const { root, hold, go } = await holdingProject(onTestFinished);
      // Opened before the build starts: the reader keeps the FIFO the tool renames and then writes to.
      const held = readFile(hold, 'utf8');
      const build = packer(root, json ? ['build', '--json'] : ['build'], { timeoutMs: TIMEOUT });
      const input = await held;
      await rm(input);
      await writeFile(go, '');
      const run = await build;
      const deleted = path.relative(root, input).split(path.sep).join('/');
      // Asserts the temp root is not behind a symlink, which would make the relative path wrong.
      expect(deleted).toMatch(/^assets\/audio\//);
      const message = `${deleted} was deleted while the build was running; build again.`;
      const hint =
        'If it was deleted on purpose, run `packer reconcile` to drop the asset; otherwise restore the file.';
      expect(run.code, run.stdout + run.stderr).toBe(1);

      if (!json) {
        expect(run.stdout).toContain(`✖ blocker CHANGED_DURING_BUILD  ${message}\n      hint: ${hint}`);
        // The old text said "changed" and told to build again twice (in the message, then as the hint).
        expect(run.stdout + run.stderr).not.toMatch(/changed after|pinned its snapshot|hint: Build again/);
        // Said twice: as it happened (the progress log's warning) and in the report; the end counts the blockers.
        // It used to be four times, the failed event's line and the closing error repeating the first blocker.
        expect((run.stdout + run.stderr).split(message).length - 1).toBe(2);
        expect(run.stdout).toContain('failed: BLOCKED (1 blocker)');
        expect(run.errorText).toContain('The build failed: 1 blocker, listed above.');
        return;
      }
      const blocker: Diagnostic = {
        code: 'CHANGED_DURING_BUILD',
        severity: 'blocker',
        message,
        assetId: expect.stringMatching(/^a_/),
        path: deleted,
        hint,
      };
      const error = run.json<{ error: { code: string; message: string; data: { blockers: Diagnostic[] } } }>().error;
      expect(error.code).toBe('BLOCKED');
      expect(error.data.blockers).toEqual([blocker]);
      expect(error.message).toContain(`First: ${message}`);

      // The build's events carry the same diagnostic: in its progress warnings and in its failed event.
      const events = ndjson<EventEnvelope>((await packer(root, ['events', '--json'])).stdout);
      const failed = events.find((event) => event.type === 'failed');
      expect(failed, JSON.stringify(events)).toBeDefined();
      expect(failed!.payload).toMatchObject({ error: { code: 'BLOCKED', data: { blockers: [blocker] } } });
      const warned = events.filter(
        (event) =>
          event.operationId === failed!.operationId && event.type === 'progress' && 'warnings' in event.payload,
      );
      expect(warned.length).toBeGreaterThan(0);
      for (const event of warned) expect((event.payload as { warnings: Diagnostic[] }).warnings).toEqual([blocker]);
    },
  );
});

describe('the daemon killed while the build runs (QA pass)', () => {
  test.for([{ json: false }, { json: true }])(
    'the build ends with CONNECTION_LOST and exit 1, not a silent exit 13 (json: $json)',
    { timeout: TIMEOUT },
    async ({ json }, { onTestFinished }) => {
      const { root, hold, go } = await holdingProject(onTestFinished);
      const held = readFile(hold, 'utf8');
      const build = packer(root, json ? ['build', '--json'] : ['build'], { timeoutMs: TIMEOUT });
      await held;
      const pid = runningDaemonPid(root);
      expect(pid).toBeDefined();
      process.kill(pid!, 'SIGKILL');
      const run = await build;
      // The tool the dead daemon started is still waiting for its go.
      await writeFile(go, '');
      expect(run.code, run.stdout + run.stderr).toBe(1);
      if (json) {
        expect(run.json<{ error: { code: string } }>().error.code).toBe('CONNECTION_LOST');
        return;
      }
      expect(run.errorText).toMatch(/closed before operation op_\w+ ended; the outcome is unknown\./);
      expect(run.errorText).toContain('packer events');
    },
  );
});
