import type { StorageWarning } from '../contract/methods.js';

// How long a "damaged store thrown away" notice stays in the health report: long enough for a health poll (and the
// daemon's storage monitor, which logs it) to see it, short enough not to leave a healthy daemon degraded.
const NOTICE_MS = 60_000;

/** A health warning saying a damaged store file was discarded at open; `current()` returns it while it is fresh. */
export class DiscardNotice {
  readonly #warning: StorageWarning;
  readonly #until = Date.now() + NOTICE_MS;

  constructor(store: string, path: string, message: string) {
    this.#warning = { store, path, message, since: new Date().toISOString() };
  }

  current(): StorageWarning | undefined {
    return Date.now() < this.#until ? { ...this.#warning } : undefined;
  }
}
