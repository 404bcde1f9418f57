import { describe, expect, test } from 'vitest';
import { connectToDaemon, startDaemonProcess } from '@packer/client';
import { testDaemonEntryPoint } from '@packer/daemon/testing';
import { developerEnv, packer } from './support/packer-bin.js';
import { fixtureProject } from './support/temp-project.js';

// `packer daemon start` returns once the daemon is live, not once its project is open (issue 11: a warm open of
// 100,000 files takes seconds). The test daemon holds its open until SIGUSR2, so the live-but-not-ready daemon is seen
// for certain; the real bin and a real daemon process throughout.

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a daemon that is live but still opening its project', { timeout: 60_000 }, () => {
  test('daemon start and daemon status say it is opening; status waits for the open and then answers; --wait returns ready', async ({
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const env = developerEnv();
    const { pid } = await startDaemonProcess(root, { ...env, PACKER_TEST_HOLD_OPEN: '1' }, [], testDaemonEntryPoint());

    const daemonStatus = await packer(root, ['daemon', 'status'], { env });
    expect(daemonStatus.code).toBe(0);
    expect(daemonStatus.stdout).toContain(`running: pid ${pid}`);
    expect(daemonStatus.stdout).toContain('opening the project (not ready yet)');

    const start = await packer(root, ['daemon', 'start'], { env });
    expect(start.code).toBe(0);
    expect(start.stdout).toContain(`already running for ${root}: pid ${pid}`);
    expect(start.stdout).toContain('opening the project (commands wait until it is ready)');
    const startJson = await packer(root, ['daemon', 'start', '--json'], { env });
    expect(startJson.json()).toMatchObject({ pid, started: false, ready: false });

    // `packer status` connects and then waits in the daemon until the open is let go.
    const watcher = await connectToDaemon(root, { client: 'test', autoStart: false, ready: false, env });
    let finished = false;
    const status = packer(root, ['status', '--json'], { env }).then((run) => ((finished = true), run));
    while ((await watcher.connection.call('daemon.health', {})).connections < 2) await pause(20);
    expect(finished).toBe(false);
    process.kill(pid, 'SIGUSR2');
    const answered = await status;
    expect(answered.code).toBe(0);
    expect(answered.json()).toMatchObject({ summary: { summary: { assets: 45 } }, daemon: { pid, ready: true } });
    watcher.connection.close();

    const ready = await packer(root, ['daemon', 'start', '--wait', '--json'], { env });
    expect(ready.json()).toMatchObject({ pid, started: false, ready: true });
    const after = await packer(root, ['daemon', 'status'], { env });
    expect(after.stdout).toMatch(/ready, revision \d+/);
  });

  test('daemon start --wait on a project without a daemon starts one and returns it ready', async ({
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const run = await packer(root, ['daemon', 'start', '--wait', '--json'], { env: developerEnv() });
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ started: true, ready: true });
  });

  test('daemon start on a project without a daemon returns once it is live, with the pid that then serves', async ({
    onTestFinished,
  }) => {
    const root = await fixtureProject('sample-game', onTestFinished);
    const env = developerEnv();
    const run = await packer(root, ['daemon', 'start', '--json'], { env });
    expect(run.code).toBe(0);
    // What the daemon's hello says came over the start-up channel: no round trip its open could hold up.
    const started = run.json<{ pid: number; started: boolean; ready: boolean; projectRoot: string }>();
    expect(started).toMatchObject({ started: true, ready: false, projectRoot: root });
    const status = await packer(root, ['status', '--json'], { env });
    expect(status.json()).toMatchObject({ daemon: { pid: started.pid, ready: true } });
  });
});
