import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Vitest global setup: every test and every child process it starts writes its temp files into one fresh
 * folder of this run (TMPDIR is inherited), so that the teardown can prove the suite cleaned up after itself.
 * A run that leaves anything behind fails, and the leftovers are named and then removed.
 */
export default function setup(): () => void {
  const systemTemp = tmpdir();
  // Short on purpose: daemons put their sockets under the temp folder when the project path is long.
  const runFolder = mkdtempSync(path.join(systemTemp, 'pk-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = runFolder;

  return function teardown(): void {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const leftovers = readdirSync(runFolder);
    rmSync(runFolder, { recursive: true, force: true });
    if (leftovers.length === 0) return;
    const shown = leftovers.slice(0, 20).join(', ') + (leftovers.length > 20 ? `, … (${leftovers.length} in all)` : '');
    // Vitest logs a throwing teardown but still exits 0, so fail the process explicitly.
    console.error(`\nFAIL temp guard: the test run left ${leftovers.length} entries in its temp folder: ${shown}.`);
    console.error('Each test must remove what it creates (see test-support/temp-guard.ts).');
    process.exitCode = 1;
  };
}
