// One project of the crash campaign: a copy of a sample fixture grown with a generated `assets/bulk/` folder
// (registered through the daemon), and the daemon serving it: started by a client call (auto-start), optionally
// with a commit-point crash hook, stopped gracefully, or killed with SIGKILL.
import { fork } from 'node:child_process';
import { closeSync, cpSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const BULK = 'assets/bulk';

/** Polls a condition no event announces (a process gone); `intervalMs` only paces the checks. */
export async function until(condition, what, timeoutMs = 30_000, intervalMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Generates the bulk tree once per campaign; every project copies it. Returns the folder holding it. */
export async function generateBulk(deps, dir, files, seed) {
  const root = path.join(dir, 'bulk-source');
  await deps.generateWorkspace({ root, files, seed, depth: 2, foldersPerLevel: 4, register: false });
  return path.join(root, 'assets');
}

export class CrashProject {
  /** Copies `fixture`, adds the bulk folder and a `bulk` pack, registers the folder through a first daemon. */
  static async create({ deps, dir, name, fixture, bulkSource }) {
    const root = path.join(dir, name);
    await deps.copyFixture(fixture, root);
    cpSync(bulkSource, path.join(root, BULK), { recursive: true });
    const configFile = path.join(root, 'packer.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.packs.push({ name: 'bulk', include: [`${BULK}/**`] });
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const project = new CrashProject(deps, root, bulkSource);
    try {
      await project.register([BULK]);
    } catch (error) {
      await project.dispose();
      throw error;
    }
    return project;
  }

  constructor(deps, root, bulkSource) {
    this.deps = deps;
    this.root = root;
    this.bulkSource = bulkSource;
    /** The connected client, or undefined while no daemon is known to run. */
    this.client = undefined;
    this.crashAt = undefined;
    /** The newest event cursor already checked: the next check replays from here. */
    this.cursor = undefined;
  }

  environment(crashAt) {
    const env = { ...process.env, PACKER_TEST_HOOKS: '1' };
    delete env.PACKER_TEST_CRASH_AT;
    if (crashAt) env.PACKER_TEST_CRASH_AT = crashAt;
    return env;
  }

  /** A client of a daemon started without (or with) a crash hook; restarts the daemon when the hook differs. */
  async daemon({ crashAt } = {}) {
    if (this.client && this.crashAt !== crashAt) await this.shutdown();
    if (!this.client) {
      this.client = await this.connect({ crashAt, autoStart: true });
      this.pid = this.client.hello.pid;
      this.crashAt = crashAt;
      this.cursor ??= this.client.hello.cursor;
      await until(async () => {
        const health = await this.client.call('daemon.health', {});
        return health.ready && health.watcher.state !== 'starting';
      }, 'daemon readiness');
    }
    return this.client;
  }

  /**
   * Starts the daemon again after a crash (a client call, as a user's next command would). Failed attempts
   * are returned with the tail of the daemon's log, and retried: a daemon that cannot restart is a finding.
   */
  async restart(attempts = 3) {
    const failures = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        // Retries fork the daemon here first, with its stderr kept, so a start-up crash says why.
        if (attempt > 1) await this.forkDaemon();
        await this.daemon();
        return failures;
      } catch (error) {
        this.client = undefined;
        failures.push(
          `restart ${attempt} failed: ${error.code ?? ''} ${error.message} — daemon.log: ${this.logTail()}`,
        );
      }
    }
    throw new Error(failures.join('\n'));
  }

  /** Starts the daemon as the client would (detached, IPC verdict), with stderr in a file beside the project. */
  async forkDaemon() {
    const entry = this.deps.testDaemonEntryPoint;
    if (!entry) return;
    const stderrFile = `${this.root}.stderr-${Date.now()}.log`;
    const fd = openSync(stderrFile, 'w');
    try {
      const child = fork(entry, ['--project', this.root], {
        detached: true,
        stdio: ['ignore', 'ignore', fd, 'ipc'],
        env: this.environment(),
        cwd: this.root,
      });
      const verdict = await new Promise((resolve) => {
        child.once('message', resolve);
        child.once('exit', (code, signal) => resolve({ type: 'exit', code, signal }));
      });
      if (child.connected) child.disconnect();
      child.unref();
      if (verdict.type !== 'ready') {
        const reason =
          verdict.type === 'exit'
            ? `exit code ${verdict.code ?? verdict.signal}`
            : `${verdict.error?.code}: ${verdict.error?.message}`;
        throw new Error(
          `the daemon did not start (${reason}); stderr: ${readFileSync(stderrFile, 'utf8').trim().slice(-800) || '(empty)'}`,
        );
      }
    } finally {
      closeSync(fd);
    }
  }

  logTail(lines = 3) {
    try {
      return readFileSync(path.join(this.root, '.packer', 'daemon.log'), 'utf8')
        .trim()
        .split('\n')
        .slice(-lines)
        .join(' | ');
    } catch (error) {
      return `(unreadable: ${error.code ?? error.message})`;
    }
  }

  /** Another client (never starts a daemon unless asked). */
  connect({ crashAt, autoStart = false, client = 'crash-campaign' } = {}) {
    // The test daemon (production daemon + test hooks) is the one that reads PACKER_TEST_CRASH_AT.
    return this.deps.ProjectClient.connect(this.root, {
      client,
      env: this.environment(crashAt),
      autoStart,
      reconnect: false,
      timeoutMs: 60_000,
      daemonEntryPoint: this.deps.testDaemonEntryPoint,
    });
  }

  async shutdown() {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const { pid } = this;
    await client.call('daemon.shutdown', { reason: 'crash campaign' }).catch(() => undefined);
    await client.close();
    await this.waitGone(pid).catch(() => process.kill(pid, 'SIGKILL'));
  }

  /** kill -9 of the daemon the client talks to; resolves once the process is gone. */
  async kill() {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const { pid } = this;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone (a crash hook got there first)
    }
    await this.waitGone(pid);
    await client.close();
  }

  /**
   * Resolves once the process is reaped. Not `isDaemonAlive`: a killed process reads as dead (empty cmdline,
   * zombie) while the kernel still tears its files down, and its socket accepts connections a moment longer,
   * so a client connecting then loses the connection mid-hello instead of starting a new daemon.
   */
  waitGone(pid, timeoutMs = 20_000) {
    let zombieSince;
    return until(
      () => {
        try {
          process.kill(pid, 0);
        } catch (error) {
          return error.code === 'ESRCH';
        }
        // A zombie nobody reaps (not our child): gone for our purposes once it has been one for a while.
        if (this.deps.isDaemonAlive(pid)) return false;
        zombieSince ??= Date.now();
        return Date.now() - zombieSince > 1000;
      },
      `daemon ${pid} to exit`,
      timeoutMs,
    );
  }

  /** Registers paths through the lane (setup and resets, on a daemon without a crash hook). */
  async register(paths) {
    const client = await this.daemon();
    await client.call('mutation.apply', { mutation: { type: 'register', paths } });
  }

  /** Copies a folder of the pristine bulk tree back (after a remove deleted it) and registers it again. */
  async restoreBulkFolder(relative) {
    cpSync(path.join(this.bulkSource, relative.slice(`${BULK}/`.length)), path.join(this.root, relative), {
      recursive: true,
    });
    await this.register([relative]);
  }

  async dispose() {
    if (this.client) await this.shutdown().catch(() => undefined);
    // A daemon some failed restart left running (it wrote its pid into .packer/daemon.json): ours, so stop it.
    try {
      const { pid } = JSON.parse(readFileSync(path.join(this.root, '.packer', 'daemon.json'), 'utf8'));
      if (Number.isSafeInteger(pid) && this.deps.isDaemonAlive(pid)) {
        process.kill(pid, 'SIGKILL');
        await this.waitGone(pid);
      }
    } catch {
      // no endpoint file, or the process is gone
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
