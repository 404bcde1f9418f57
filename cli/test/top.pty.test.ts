import { afterEach, describe, expect, test } from 'vitest';
import { startDaemonProcess } from '@packer/client';
import { callTestOperation, testDaemonEntryPoint } from '@packer/daemon/testing';
import { copyFixture } from '@packer/fixtures';
import { developerEnv, packer } from './support/packer-bin.js';
import { TmuxSession } from './support/tmux-session.js';
import { disposeProject } from './support/temp-project.js';

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

  test('shows an operation\'s progress bar while it runs and its completion when it ends; q quits', { timeout: 120_000 }, async () => {
    root = await copyFixture('sample-game');
    // The test hook (a long operation with progress) is only served by the test daemon, started detached as `packer daemon start` would.
    const started = await startDaemonProcess(root, developerEnv(), [], testDaemonEntryPoint());

    tmux = await TmuxSession.create('top');
    await tmux.start(root, 'top');
    const idle = await tmux.waitForScreen('the idle dashboard', (screen) => screen.includes('packer top — sample-game') && screen.includes('  idle'), 30_000);
    expect(idle).toMatch(new RegExp(`pid ${started.pid} · lane 0`));
    expect(idle).toContain('assets 45 · missing 0 · untracked 0 · blockers 0 · warnings 0');

    const operationId = await callTestOperation(root, { progressEvents: PROGRESS_EVENTS }, developerEnv());
    const summary = `test operation (${PROGRESS_EVENTS} progress events)`;

    const runningLine = new RegExp(`running +${escape(summary)} \\[(█*)(░*)\\] (\\d+)% (\\d+)/${PROGRESS_EVENTS}`);
    const running = await tmux.waitForScreen('the operation running with a partial bar', (screen) => {
      const match = runningLine.exec(screen);
      return match !== null && Number(match[4]) < PROGRESS_EVENTS;
    }, 30_000);
    const [, filled, empty, percent, done] = runningLine.exec(running)!;
    expect(filled!.length + empty!.length).toBe(20);
    expect(Number(done)).toBeGreaterThan(0);
    expect(Number(percent)).toBe(Math.round((Number(done) / PROGRESS_EVENTS) * 100));
    expect(running).not.toContain(`completed ${summary}`);

    const completed = await tmux.waitForScreen('the operation completed', (screen) => screen.includes(`completed ${summary}`), 60_000);
    expect(completed).not.toMatch(runningLine);
    expect(completed).toContain('  idle');
    // The recent-events list shows the terminal event itself.
    expect(completed).toMatch(new RegExp(`completed +${operationId}#${PROGRESS_EVENTS + 3} revision \\d+`));

    await tmux.sendKeys('q');
    await tmux.waitForScreen('top exiting with status 0', (screen) => screen.includes('[top exited with status 0]'), 15_000);
  });

  test('ends with one clear error line, not a stack trace, when the daemon stops underneath it', { timeout: 60_000 }, async () => {
    root = await copyFixture('sample-game');
    expect((await packer(root, ['daemon', 'start'])).code).toBe(0);
    tmux = await TmuxSession.create('top');
    await tmux.start(root, 'top');
    await tmux.waitForScreen('the idle dashboard', (screen) => screen.includes('packer top — sample-game') && screen.includes('  idle'), 30_000);

    expect((await packer(root, ['daemon', 'stop'])).code).toBe(0);
    const screen = await tmux.waitForScreen('top exiting', (text) => text.includes('[top exited with status'), 15_000);
    expect(screen).toContain('[top exited with status 1]');
    expect(screen).toContain('The connection to the packer daemon ended');
    expect(screen).toContain('Code: NOT_READY');
    expect(screen).not.toMatch(/^\s+at /m);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
