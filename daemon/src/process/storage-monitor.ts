import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '@packer/core/contract';

/** Where the daemon's own writes can fail: each source holds what it could not write and says why. */
export interface StorageSources {
  /** Files under `.packer/` that could not be written, each source retrying its own when asked. */
  warnings(): StorageWarning[];
  /** Retries every held-back write; never throws. */
  retry(): void;
  log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void;
}

export type StorageHealth = { state: 'ok' | 'degraded'; warnings: StorageWarning[] };

const FIRST_RETRY_MS = 1000;
// A retry of the digest cache rewrites the whole file: on a full disk, do not hammer it.
const MAX_RETRY_MS = 4000;

/**
 * The daemon's view of its own storage. While any write is failing (a full disk, say) it retries them on a
 * backing-off timer and reports the failures as health warnings; when everything goes through again the warnings
 * clear. Also catches write errors that escaped to the process (`noteEscapedFailure`) and clears that warning once
 * a probe write in the state folder succeeds.
 */
export class StorageMonitor {
  #timer: NodeJS.Timeout | undefined;
  #delay = FIRST_RETRY_MS;
  #escaped: StorageWarning | undefined;
  #degraded = false;
  #stopped = false;

  constructor(
    private readonly sources: StorageSources,
    private readonly stateDir: string,
  ) {}

  start(): void {
    this.#stopped = false;
    this.#schedule(FIRST_RETRY_MS);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  health(): StorageHealth {
    const warnings = this.#warnings();
    return { state: warnings.length > 0 ? 'degraded' : 'ok', warnings };
  }

  /** A write error nobody caught (a background task's): reported until a probe write shows the disk takes writes
   * again. */
  noteEscapedFailure(error: NodeJS.ErrnoException): void {
    this.#escaped = {
      store: 'background',
      path: error.path ?? this.stateDir,
      ...(error.code ? { errno: error.code } : {}),
      message: `A background write failed: ${error.message}`,
      since: this.#escaped?.since ?? new Date().toISOString(),
    };
    this.#note();
    this.#schedule(FIRST_RETRY_MS);
  }

  /** Retries now; returns what is still failing. */
  check(): StorageHealth {
    try {
      if (this.#warnings().length > 0) this.sources.retry();
      if (this.#escaped && this.sources.warnings().length === 0 && this.#probe()) this.#escaped = undefined;
    } catch (error) {
      this.sources.log('warn', 'storage retry failed', { error: String(error) });
    }
    this.#note();
    return this.health();
  }

  #warnings(): StorageWarning[] {
    return [...this.sources.warnings(), ...(this.#escaped ? [this.#escaped] : [])];
  }

  /** Logs each change between healthy and degraded once. */
  #note(): void {
    const warnings = this.#warnings();
    if (warnings.length > 0 && !this.#degraded) {
      this.#degraded = true;
      this.sources.log('warn', 'storage degraded: writes fail, held in memory and retried', { warnings });
    } else if (warnings.length === 0 && this.#degraded) {
      this.#degraded = false;
      this.sources.log('info', 'storage recovered: every held-back write went through', {});
    }
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#delay = delay;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const failing = this.check().state === 'degraded';
      this.#schedule(failing ? Math.min(this.#delay * 2, MAX_RETRY_MS) : FIRST_RETRY_MS);
    }, delay);
    this.#timer.unref();
  }

  #probe(): boolean {
    const probe = path.join(this.stateDir, `.write-probe-${process.pid}`);
    try {
      writeFileSync(probe, Buffer.alloc(4096));
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { force: true });
    }
  }
}
