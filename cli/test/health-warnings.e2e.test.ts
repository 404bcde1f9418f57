import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { MethodResult } from '@packer/core/contract';
import { developerEnv, packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// The real `packer` bin and the daemon it starts: what `packer status` (its lean fast path, and the oclif command
// with --json) and `packer daemon status` say about the daemon's health warnings.

type StatusJson = { daemon: MethodResult<'daemon.health'> & { inProcess: boolean } };
const TIMEOUT = 90_000;
// PACKER_BWRAP=none forces the fallback (no sandbox) whether or not this machine has bubblewrap.
const noSandbox = developerEnv({ PACKER_BWRAP: 'none' });

describe.concurrent('health warnings in status output', { timeout: TIMEOUT }, () => {
  test('tools without a sandbox: `packer status` and `packer daemon status` print the warning and its hint', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const json = (await packer(root, ['status', '--json'], { env: noSandbox })).json<StatusJson>();
    expect(json.daemon.toolSandbox.backend).toBe('none');
    const warning = json.daemon.toolSandbox.warning!;
    expect(warning).toMatch(/^No sandbox for external tools: .*PACKER_BWRAP=none/);

    const status = await packer(root, ['status'], { env: noSandbox });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`warning: ${warning}\n`);
    expect(status.stdout).toContain(`  hint: ${json.daemon.toolSandbox.hint}`);

    const daemonStatus = await packer(root, ['daemon', 'status'], { env: noSandbox });
    expect(daemonStatus.code).toBe(0);
    expect(daemonStatus.stdout).toMatch(/^running: pid \d+/m);
    expect(daemonStatus.stdout).toContain(`warning: ${warning}\n`);
    expect(daemonStatus.stdout).not.toContain('storage degraded');
  });

  test('a state file the daemon cannot write: both commands print the degraded store, and the daemon keeps serving', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    // A folder where `.packer/revision` goes: every write of it fails (EISDIR), as on a disk that refuses writes.
    mkdirSync(path.join(root, '.packer/revision'), { recursive: true });
    const json = (await packer(root, ['status', '--json'], { env: noSandbox })).json<StatusJson>();
    expect(json.daemon.storage).toMatchObject({
      state: 'degraded',
      warnings: [expect.objectContaining({ store: 'revision', path: path.join(root, '.packer/revision') })],
    });

    const status = await packer(root, ['status'], { env: noSandbox });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^sample-game {2}revision \d+/m);
    expect(status.stdout).toMatch(
      new RegExp(
        `^warning: storage degraded \\(revision\\): Could not write ${escapeRegExp(path.join(root, '.packer/revision'))}: .*, since `,
        'm',
      ),
    );
    expect(status.stdout).toMatch(/^ {2}hint: free space/m);

    const daemonStatus = await packer(root, ['daemon', 'status'], { env: noSandbox });
    expect(daemonStatus.stdout).toMatch(/^warning: storage degraded \(revision\): /m);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
