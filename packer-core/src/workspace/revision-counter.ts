import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';

/** Snapshot revisions stay monotonic across restarts: the last one handed out is kept in `.packer/revision`. */
export class RevisionCounter {
  private readonly file: string;
  private last: number;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'revision');
    const stored = existsSync(this.file) ? Number(readFileSync(this.file, 'utf8').trim()) : 0;
    this.last = Number.isSafeInteger(stored) && stored >= 0 ? stored : 0;
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
