import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, test } from 'vitest';
import { developerEnv, packer, PACKER_BIN } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

const run = promisify(execFile);

/**
 * `packer <args> | true` in bash: the reader exits at once, before the packer writes. The packer's exit status
 * (PIPESTATUS) and what it wrote to stderr.
 */
async function intoClosedPipe(root: string, args: readonly string[]): Promise<{ status: number; stderr: string }> {
  const command = `"$0" "$@" 2>"$ERR_FILE" | true; echo "\${PIPESTATUS[0]}"; cat "$ERR_FILE"`;
  const errFile = `${root}/.pipe-stderr`;
  const { stdout } = await run('bash', ['-c', command, process.execPath, PACKER_BIN, ...args, '-C', root], {
    env: developerEnv({ ERR_FILE: errFile }),
  });
  const [status, ...stderr] = stdout.split('\n');
  return { status: Number(status), stderr: stderr.join('\n') };
}

// `packer status | head -1` and the like: the reader leaves before the answer is written. That is the reader's
// choice, not a failure of the packer: no stack trace, and the exit status of a process killed by SIGPIPE, as cat or
// git give.
describe('a reader that closes the pipe', { timeout: 60_000 }, () => {
  test('ends `packer status` (lean path) and an oclif command quietly with 141', async ({ expect, onTestFinished }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
    onTestFinished(async () => {
      await packer(root, ['daemon', 'stop']);
    });
    for (const args of [['status'], ['status', '--json'], ['history', '--json']]) {
      const result = await intoClosedPipe(root, args);
      expect(result.stderr, args.join(' ')).not.toMatch(/EPIPE|Unhandled|at /);
      expect(result.status, args.join(' ')).toBe(141);
    }
  });
});
