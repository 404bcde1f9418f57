import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { developerEnv, PACKER_BIN } from './packer-bin.js';

const run = promisify(execFile);

/**
 * One `packer` command in a real pseudo-terminal: a detached 120×40 session on a private tmux server (its own
 * socket, so tests neither see nor disturb anyone else's sessions), read back with capture-pane. Tests wait on
 * what the screen shows, polling with a deadline, never on fixed sleeps.
 */
export class TmuxSession {
  private constructor(
    private readonly dir: string,
    readonly session: string,
    private readonly scrollback: boolean,
  ) {}

  /** `scrollback`: read the pane with its history (when the pane dies, tmux's "Pane is dead" line scrolls the top line
   * off). */
  static async create(session: string, options: { scrollback?: boolean } = {}): Promise<TmuxSession> {
    return new TmuxSession(await mkdtemp(path.join(tmpdir(), 'packer-tmux-')), session, options.scrollback ?? false);
  }

  async tmux(...args: string[]): Promise<string> {
    // The server takes its environment from the client that starts it: a developer's shell, no CI.
    const { stdout } = await run('tmux', ['-S', path.join(this.dir, 'tmux.sock'), ...args], { env: developerEnv() });
    return stdout;
  }

  /**
   * Runs `packer <args>` in the project folder. The shell prints `[<args[0]> exited with status N]` afterwards,
   * and remain-on-exit keeps the pane readable after that.
   */
  async start(cwd: string, ...args: string[]): Promise<void> {
    const command = `'${process.execPath}' '${PACKER_BIN}' ${args.join(' ')}; echo "[${args[0]} exited with status $?]"`;
    await this.tmux(
      'new-session',
      '-d',
      '-s',
      this.session,
      '-x',
      '120',
      '-y',
      '40',
      '-c',
      cwd,
      command,
      ';',
      'set-option',
      '-t',
      this.session,
      'remain-on-exit',
      'on',
    );
  }

  screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', ...(this.scrollback ? ['-S', '-'] : []), '-t', this.session);
  }

  sendKeys(keys: string): Promise<string> {
    return this.tmux('send-keys', '-t', this.session, keys);
  }

  /** Polls until `predicate` accepts the screen; fails with the last screen after `timeoutMs`. */
  async waitForScreen(
    what: string,
    predicate: (screen: string) => boolean | Promise<boolean>,
    timeoutMs: number,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (await predicate(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting until the screen shows ${what}; it shows:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
