import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * Snapshot revisions stay monotonic across restarts: the last one handed out is kept in `.packer/revision`.
 * Each open also moves the counter up to the clock (microseconds since 1970, well below 2^53), so a state folder
 * that was deleted (`git clean -fdX`), replaced by garbage or rolled back can never hand out a revision number
 * again that a client saw before: a stale `expectedRevision` then cannot match a different state. The clock
 * outruns the counter, since handing out a revision costs a durable file write (far more than a microsecond).
 */
export class RevisionCounter {
  private readonly file: string;
  private last: number;

  constructor(stateDir: string, now: () => number = Date.now) {
    this.file = path.join(stateDir, 'revision');
    const stored = readStored(this.file);
    this.last = Math.max(stored ?? 0, Math.floor(now() * 1000));
  }

  get current(): number {
    return this.last;
  }

  /** Persists and returns the next revision (persist first, so no revision is ever handed out twice). */
  next(): number {
    const value = this.last + 1;
    writeFileAtomic(this.file, `${value}\n`);
    this.last = value;
    return value;
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
