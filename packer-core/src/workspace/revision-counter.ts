import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import { writeFileInPlace } from '../fs/atomic-write.js';
import { WriteHealth } from '../fs/write-health.js';

/**
 * Snapshot revisions stay monotonic across restarts: the last one handed out is kept in `.packer/revision`.
 * Each open also moves the counter up to the clock (microseconds since 1970, well below 2^53), so a state folder
 * that was deleted (`git clean -fdX`), replaced by garbage or rolled back can never hand out a revision number
 * again that a client saw before: a stale `expectedRevision` then cannot match a different state. The clock
 * outruns the counter, since handing out a revision costs far more than a microsecond (a new snapshot, a write).
 *
 * A file that cannot be written (a full disk) does not stop the counter: the revision is still handed out from
 * memory, `writeProblem` says so, and every later `next` or `flush` writes the newest value again. That is safe
 * because a stored value that lags is never trusted alone: the next open reseeds from max(stored, clock), and the
 * clock has passed every revision this process handed out (one per microsecond at most, and a restart takes
 * milliseconds). The stored value only guards against a clock set back; a full disk plus a clock set back past
 * this run is the one case left open, as it is when `.packer/` is deleted.
 */
export class RevisionCounter {
  private readonly file: string;
  private last: number;
  private stored: number | undefined;
  private readonly health = new WriteHealth('revision');

  constructor(stateDir: string, now: () => number = Date.now) {
    this.file = path.join(stateDir, 'revision');
    this.stored = readStored(this.file);
    this.last = Math.max(this.stored ?? 0, Math.floor(now() * 1000));
  }

  get current(): number {
    return this.last;
  }

  /** Returns the next revision, persisting it when the disk takes the write (see the class comment when it does
   * not). */
  next(): number {
    this.last += 1;
    this.flush();
    return this.last;
  }

  /** Writes the newest revision if the file lags behind it. Never throws; returns whether the file is current. */
  flush(): boolean {
    if (this.stored === this.last) return true;
    try {
      // A state folder that is gone is not made again: the project may be being deleted, and a re-created
      // `.packer/revision` made that `rm -rf` fail (QA finding 7). The next open reseeds from the clock anyway.
      if (!existsSync(path.dirname(this.file)))
        throw Object.assign(new Error('the state folder is gone'), { code: 'ENOENT' });
      // In place and unflushed (no temp file, rename or fsync: 2 fsyncs per revision before): a value lost or torn by
      // a crash is one that lags, which the class comment shows is safe.
      writeFileInPlace(this.file, `${this.last}\n`);
    } catch (error) {
      this.health.failed(this.file, error);
      return false;
    }
    this.stored = this.last;
    this.health.succeeded();
    return true;
  }

  /** Why `.packer/revision` lags behind the revisions handed out (a full disk, say), until a write goes through. */
  get writeProblem(): StorageWarning | undefined {
    return this.health.warning;
  }
}

/** The stored revision, or undefined when the file is absent or holds anything but a safe non-negative integer. */
function readStored(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  // Leave room to count up: a stored value near 2^53 is garbage too.
  return Number.isSafeInteger(value) && value < Number.MAX_SAFE_INTEGER / 2 ? value : undefined;
}
