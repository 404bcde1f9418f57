import type { StorageWarning } from '../contract/methods.js';

/**
 * Whether a long-lived store's writes currently go through. Stores that hold what they could not write and
 * retry later (digest cache, audit log, idempotency keys) record each failure here, so the daemon can report
 * a full disk as a health warning instead of dying of it.
 */
export class WriteHealth {
  #warning: StorageWarning | undefined;

  constructor(private readonly store: string) {}

  /** The current warning, or undefined while writes go through. */
  get warning(): StorageWarning | undefined {
    return this.#warning && { ...this.#warning };
  }

  /** Records a failed write of `path`; `since` keeps the time of the first failure in a row. */
  failed(path: string, error: unknown, counts: { pending?: number; dropped?: number } = {}): void {
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    this.#warning = {
      store: this.store,
      path,
      ...(typeof errno === 'string' ? { errno } : {}),
      message: `Could not write ${path}: ${error instanceof Error ? error.message : String(error)}`,
      since: this.#warning?.since ?? new Date().toISOString(),
      ...counts,
    };
  }

  /** Records a write that went through; returns the warning it cleared, if there was one. */
  succeeded(): StorageWarning | undefined {
    const cleared = this.#warning;
    this.#warning = undefined;
    return cleared;
  }
}
