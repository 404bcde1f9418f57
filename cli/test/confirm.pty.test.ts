import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { TmuxSession } from './support/tmux-session.js';
import { disposeProject } from './support/temp-project.js';

// A destructive command with a terminal on stdin but stdout piped (`packer rm … | cat`): it must still ask, on
// stderr, before deleting anything. (Without a terminal on stdin it refuses instead: see safety.e2e.test.ts.)

const EXIT_LINE = /\[rm exited with status (\d+)\]/;

describe('confirmation on a terminal whose stdout is piped', () => {
  let tmux: TmuxSession | undefined;
  let root: string | undefined;

  afterEach(async () => {
    await tmux?.kill();
    if (root) await disposeProject(root);
    tmux = undefined;
    root = undefined;
  });

  test(
    'rm --delete-file | cat asks on the terminal; "n" deletes nothing, "y" deletes',
    { timeout: 120_000 },
    async () => {
      root = await copyFixture('sample-game');
      const folder = path.join(root, 'assets/sprites/enemies');
      const files = readdirSync(folder);

      tmux = await TmuxSession.create('confirm-no', { scrollback: true });
      await tmux.start(root, 'rm', 'assets/sprites/enemies', '--delete-file', '--no-daemon', '|', 'cat');
      const asked = await tmux.waitForScreen(
        'the question',
        (screen) => screen.includes('Apply these changes? [y/N]'),
        30_000,
      );
      // The preview went through the pipe; the question reached the person anyway.
      expect(asked).toContain('File changes (');
      expect(readdirSync(folder)).toEqual(files);
      await tmux.sendKeys('n');
      await tmux.sendKeys('Enter');
      const declined = await tmux.waitForScreen('rm exiting', (screen) => EXIT_LINE.test(screen), 30_000);
      expect(declined).toContain('Nothing applied.');
      expect(readdirSync(folder)).toEqual(files);
      await tmux.kill();

      tmux = await TmuxSession.create('confirm-yes', { scrollback: true });
      await tmux.start(root, 'rm', 'assets/sprites/enemies', '--delete-file', '--no-daemon', '|', 'cat');
      await tmux.waitForScreen('the question', (screen) => screen.includes('Apply these changes? [y/N]'), 30_000);
      await tmux.sendKeys('y');
      await tmux.sendKeys('Enter');
      const applied = await tmux.waitForScreen('rm exiting', (screen) => EXIT_LINE.test(screen), 30_000);
      expect(applied).toMatch(/Applied: revision \d+ → \d+/);
      expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
    },
  );
});
