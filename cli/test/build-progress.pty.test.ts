import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { TmuxSession } from './support/tmux-session.js';
import { disposeProject, runningDaemonPid } from './support/temp-project.js';
import { useSlowAudioTool } from './support/slow-tool.js';

// `packer build` in a real pseudo-terminal (see support/tmux-session.ts).

/** The external tool of the cancel test sleeps this long; a cancel that works ends the build far sooner. */
const SLOW_TOOL_SECONDS = 30;
const EXIT_LINE = /\[build exited with status (\d+)\]/;
/** The live view's bar line once every asset is done: a full 30-cell bar at 100%, done/total equal. */
const FULL_BAR_LINE = /^\[█{30}\] 100% (\d+)\/\1\b/m;

describe('packer build in a pseudo-terminal', () => {
  let tmux: TmuxSession | undefined;
  let root: string | undefined;

  afterEach(async () => {
    await tmux?.kill();
    if (root) {
      // Should the test fail before its cancel, a sleeping tool must not outlive it.
      for (const pid of await toolProcessesIn(root)) process.kill(pid, 'SIGKILL');
      await disposeProject(root);
    }
    tmux = undefined;
    root = undefined;
  });

  test(
    'shows the live progress view and ends with its completed line; the packs are written',
    { timeout: 60_000 },
    async () => {
      root = await copyFixture('sample-game');
      tmux = await TmuxSession.create('build', { scrollback: true });
      await tmux.start(root, 'build');

      const screen = await tmux.waitForScreen('build exiting', (text) => EXIT_LINE.test(text), 45_000);
      expect(screen, screen).toContain('[build exited with status 0]');
      // The view's last frame stays on the screen: lifecycle word, full bar, then the terminal event's message.
      const lines = screen.split('\n');
      const lifecycle = lines.findIndex((line) => /^completed +build\b/.test(line));
      const bar = lines.findIndex((line) => FULL_BAR_LINE.test(line));
      const final = lines.findIndex((line) => /^completed \(revision \d+\)$/.test(line));
      expect(
        [lifecycle, bar, final].every((index) => index >= 0),
        screen,
      ).toBe(true);
      expect(lifecycle).toBeLessThan(bar);
      expect(bar).toBeLessThan(final);
      expect(screen).not.toMatch(/^running /m);
      expect(screen).not.toMatch(/^\s+at /m);

      // Pack files may carry their digest in the name (`core.<digest>.pack`).
      const written = await readdir(path.join(root, 'build'));
      for (const pack of ['core', 'sprites', 'backgrounds', 'audio'])
        expect(
          written.some((name) => new RegExp(`^${pack}(\\.[0-9a-f]+)?\\.pack$`).test(name)),
          `build/${pack}.pack in ${written.join(', ')}`,
        ).toBe(true);
    },
  );

  test(
    'Ctrl-C cancels the build: the running tool is killed, no pack is written, the exit status is non-zero',
    { timeout: 60_000 },
    async () => {
      root = await copyFixture('sample-game');
      await useSlowAudioTool(root, SLOW_TOOL_SECONDS);

      tmux = await TmuxSession.create('build', { scrollback: true });
      await tmux.start(root, 'build');
      const projectRoot = root;
      // Running on screen and the tool alive, so Ctrl-C has a running operation and a process to stop.
      await tmux.waitForScreen(
        'the build running with its tool started',
        async (text) =>
          /^running +build\b/m.test(text) &&
          /^\[[█░]{30}\] \d+% \d+\/\d+/m.test(text) &&
          (await toolProcessesIn(projectRoot)).length > 0,
        20_000,
      );

      await tmux.sendKeys('C-c');
      // Well under the tool's own sleep: only a cancel that kills the tool ends the build within this deadline.
      const screen = await tmux.waitForScreen(
        'build exiting after the cancel',
        (text) => EXIT_LINE.test(text),
        (SLOW_TOOL_SECONDS / 3) * 1000,
      );
      expect(screen, screen).toMatch(/^cancelled: .+$/m);
      expect(screen).toMatch(/^cancelled +build\b/m);
      expect(Number(EXIT_LINE.exec(screen)![1]), screen).not.toBe(0);
      expect(screen).not.toMatch(/^completed /m);
      expect(screen).not.toMatch(/^\s+at /m);

      expect(await toolProcessesIn(root)).toEqual([]);
      // Ctrl-C reaches the terminal's foreground group only: the detached daemon that ran the build lives on.
      expect(runningDaemonPid(root)).toBeDefined();
      // Nothing of the cancelled build is put in place, and no staged temp pack is left behind.
      const buildDir = path.join(root, 'build');
      expect(existsSync(buildDir) ? await readdir(buildDir) : []).toEqual([]);
    },
  );
});

/** Pids of the slow tool (`sleep`) running with a work dir inside the project (the build's scratch folder). */
async function toolProcessesIn(root: string): Promise<number[]> {
  const real = await realpath(root);
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (path.basename(argv[0] ?? '') !== 'sleep' || argv[1] !== String(SLOW_TOOL_SECONDS)) continue;
      const cwd = await readlink(`/proc/${entry}/cwd`);
      if (cwd === real || cwd.startsWith(real + path.sep)) pids.push(Number(entry));
    } catch {
      // The process ended while being read, or belongs to someone else.
    }
  }
  return pids;
}
