import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import type { MethodResult } from '@packer/core/contract';
import { packer } from './support/packer-bin.js';
import { answer, standInDaemon } from './support/stand-in-daemon.js';
import { fixtureProject, runningDaemonPid } from './support/temp-project.js';

// A plain `packer status` sends its requests to a running daemon before it loads the rest of the command (the
// daemon's synced read waits for the watcher meanwhile). These tests hold that path to what users rely on: a change
// made just before the command is in its answer, and the answer reads as it did through the full client.

type StatusJson = {
  summary: MethodResult<'snapshot.summary'>;
  daemon: MethodResult<'daemon.health'> & { inProcess: boolean };
};

describe('packer status through a running daemon', { timeout: 90_000 }, () => {
  test('a file written or removed immediately before `packer status` is in its answer, every time', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
    expect((await packer(root, ['status', '--json'])).json<StatusJson>().summary.summary).toMatchObject({
      assets: 45,
      untracked: 0,
      missing: 0,
    });
    // A file outside the asset roots rewritten without pause keeps the watcher busy, so it delivers what it sees
    // only every ~500 ms (@parcel/watcher waits for 50 ms of quiet, 500 ms at most): a read that did not wait for
    // its cookie would answer before the fresh file below was delivered.
    const churn = setInterval(() => writeFileSync(path.join(root, 'churn.md'), String(Date.now())), 10);
    onTestFinished(() => clearInterval(churn));
    for (let round = 1; round <= 8; round++) {
      // No wait between the write and the command: the read must be ordered after it (read-your-writes).
      writeFileSync(path.join(root, 'assets', 'text', `fresh-${round}.txt`), `round ${round}\n`);
      const status = await packer(root, ['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.json<StatusJson>().summary.summary.untracked).toBe(round);
    }
    rmSync(path.join(root, 'assets', 'text', 'fresh-8.txt'));
    clearInterval(churn);
    const human = await packer(root, ['status']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('7 untracked files');
    expect(runningDaemonPid(root)).toBeDefined();
  });

  test('answers as the full client does: the run that starts the daemon and the next one print the same', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    writeFileSync(path.join(root, 'assets', 'text', 'extra.txt'), 'extra\n');
    // No daemon yet: this run goes through the full client, which starts one.
    const first = await packer(root, ['status', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const pid = runningDaemonPid(root);
    expect(pid).toBeDefined();
    const second = await packer(root, ['status', '--json']);
    expect(second.code, second.stderr).toBe(0);
    const [a, b] = [first.json<StatusJson>(), second.json<StatusJson>()];
    expect(b.daemon.pid).toBe(pid);
    // Everything but the clock reads the same, key for key and in the same order.
    const withoutClock = (status: StatusJson): string =>
      JSON.stringify({ ...status, daemon: { ...status.daemon, uptimeMs: 0 } }, null, 2);
    expect(withoutClock(b)).toBe(withoutClock(a));
    expect(b.summary.summary).toMatchObject({ assets: 45, untracked: 1 });

    const human = await packer(root, ['status']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`daemon: pid ${pid}, up `);
    expect(human.stdout).toMatch(/^assets: 45 \(/m);
    expect(human.stdout).toContain('1 untracked file;');
  });

  test('an answer from a daemon of another protocol is not shown: the full client reports the mismatch', async ({
    expect,
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    // A listener that answers every call, speaking protocol 999; its hello names a pid that is not running, so the
    // client does not wait for it to stop before it says hello again and gives up.
    const answers: Record<string, unknown> = {
      'daemon.hello': { protocolVersion: 999, pid: 4_194_303, projectRoot: root },
      'snapshot.summary': { projectName: 'posing-as-the-daemon', summary: {} },
      'daemon.health': { pid: 4_194_303 },
    };
    await standInDaemon(root, onTestFinished, (request, socket) => {
      if (request.id !== undefined) answer(socket, request, answers[request.method] ?? {});
    });

    const status = await packer(root, ['status', '--json']);
    expect(status.stdout).not.toContain('posing-as-the-daemon');
    expect(status.code).not.toBe(0);
    expect(status.json<{ error: { code: string } }>().error.code).toBe('PROTOCOL_MISMATCH');
  });
});
