import { afterEach, describe, expect, test } from 'vitest';
import { startDaemonProcess } from '@packer/client';
import { callTestOperation, testDaemonEntryPoint } from '@packer/daemon/testing';
import { copyFixture } from '@packer/fixtures';
import { developerEnv, packer } from './support/packer-bin.js';
import { TmuxSession } from './support/tmux-session.js';
import { disposeProject, runningDaemonPid } from './support/temp-project.js';

// `packer top` in a real pseudo-terminal (see support/tmux-session.ts).

const PROGRESS_EVENTS = 400_000;

describe('packer top in a pseudo-terminal', () => {
  let tmux: TmuxSession | undefined;
  let root: string | undefined;

  afterEach(async () => {
    await tmux?.kill();
    if (root) await disposeProject(root);
    tmux = undefined;
    root = undefined;
  });

  test(
    "shows an operation's progress bar while it runs and its completion when it ends; q quits",
    { timeout: 120_000 },
    async () => {
      root = await copyFixture('sample-game');
      // The test hook (a long operation with progress) is only served by the test daemon, started detached as `packer
      // daemon start` would.
      const started = await startDaemonProcess(root, developerEnv(), [], testDaemonEntryPoint());

      tmux = await TmuxSession.create('top');
      await tmux.start(root, 'top');
      const idle = await tmux.waitForScreen(
        'the idle dashboard',
        (screen) => screen.includes('packer top — sample-game') && screen.includes('  idle'),
        30_000,
      );
      expect(idle).toMatch(new RegExp(`pid ${started.pid} · lane 0`));
      expect(idle).toContain('assets 45 · missing 0 · untracked 0 · blockers 0 · warnings 0');

      const operationId = await callTestOperation(root, { progressEvents: PROGRESS_EVENTS }, developerEnv());
      const summary = `test operation (${PROGRESS_EVENTS} progress events)`;

      const runningLine = new RegExp(`running +${escape(summary)} \\[(█*)(░*)\\] (\\d+)% (\\d+)/${PROGRESS_EVENTS}`);
      const running = await tmux.waitForScreen(
        'the operation running with a partial bar',
        (screen) => {
          const match = runningLine.exec(screen);
          return match !== null && Number(match[4]) < PROGRESS_EVENTS;
        },
        30_000,
      );
      const [, filled, empty, percent, done] = runningLine.exec(running)!;
      expect(filled!.length + empty!.length).toBe(20);
      expect(Number(done)).toBeGreaterThan(0);
      expect(Number(percent)).toBe(Math.round((Number(done) / PROGRESS_EVENTS) * 100));
      expect(running).not.toContain(`completed ${summary}`);

      const completed = await tmux.waitForScreen(
        'the operation completed',
        (screen) => screen.includes(`completed ${summary}`),
        60_000,
      );
      expect(completed).not.toMatch(runningLine);
      expect(completed).toContain('  idle');
      // The recent-events list shows the terminal event itself.
      expect(completed).toMatch(new RegExp(`completed +${operationId}#${PROGRESS_EVENTS + 3} revision \\d+`));

      await tmux.sendKeys('q');
      await tmux.waitForScreen(
        'top exiting with status 0',
        (screen) => screen.includes('[top exited with status 0]'),
        15_000,
      );
    },
  );

  test(
    'waits for a daemon that stops or restarts underneath it, then follows the new one from where it was; q quits',
    { timeout: 120_000 },
    async () => {
      root = await copyFixture('sample-game');
      expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
      const firstPid = runningDaemonPid(root)!;
      tmux = await TmuxSession.create('top');
      await tmux.start(root, 'top');
      await tmux.waitForScreen(
        'the idle dashboard',
        (screen) => screen.includes(`pid ${firstPid} · lane 0`) && screen.includes('  idle'),
        30_000,
      );

      // Stopped: top says so and stays (it does not start a daemon itself: the stop was someone's choice).
      expect((await packer(root, ['daemon', 'stop'])).code).toBe(0);
      await tmux.waitForScreen(
        'the restarting notice',
        (screen) => screen.includes('daemon restarting… waiting to reconnect'),
        15_000,
      );
      expect(runningDaemonPid(root)).toBeUndefined();
      expect(await tmux.screen()).not.toContain('exited with status');

      // Started again: top reconnects to it, drops the notice and shows what the new daemon does.
      expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
      const secondPid = runningDaemonPid(root)!;
      await tmux.waitForScreen(
        'the second daemon',
        (screen) => screen.includes(`pid ${secondPid} · lane 0`) && !screen.includes('daemon restarting'),
        30_000,
      );
      expect(
        (await packer(root, ['mv', 'assets/sprites/items/coin.png', 'assets/sprites/items/coin-gold.png', '--yes']))
          .code,
      ).toBe(0);
      await tmux.waitForScreen(
        'the move after the first restart',
        (screen) =>
          screen.includes('completed move assets/sprites/items/coin.png → assets/sprites/items/coin-gold.png'),
        30_000,
      );

      // `packer daemon restart` in one go: the same.
      const restarted = await packer(root, ['daemon', 'restart']);
      expect(restarted.code, restarted.stderr).toBe(0);
      const thirdPid = runningDaemonPid(root)!;
      expect(thirdPid).not.toBe(secondPid);
      await tmux.waitForScreen(
        'the restarted daemon',
        (screen) => screen.includes(`pid ${thirdPid} · lane 0`) && !screen.includes('daemon restarting'),
        30_000,
      );
      expect(
        (await packer(root, ['mv', 'assets/sprites/items/gem.png', 'assets/sprites/items/gem-blue.png', '--yes'])).code,
      ).toBe(0);
      const after = await tmux.waitForScreen(
        'the move after daemon restart',
        (screen) => screen.includes('completed move assets/sprites/items/gem.png → assets/sprites/items/gem-blue.png'),
        30_000,
      );
      expect(after).toContain('daemon.started');
      expect(after).not.toContain('exited with status');

      await tmux.sendKeys('q');
      await tmux.waitForScreen(
        'top exiting with status 0',
        (screen) => screen.includes('[top exited with status 0]'),
        15_000,
      );
    },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
