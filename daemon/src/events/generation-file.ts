import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The event log's counter of daemon starts, one integer in `<dir>/generation`.
const GENERATION_FILE = 'generation';

/** The generation last written to `dir`, or 0 when there is none (or it is unreadable). */
export function readGeneration(dir: string): number {
  try {
    const value = Number(readFileSync(join(dir, GENERATION_FILE), 'utf8').trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

// Temp file, fsync, rename: a crash leaves the old counter or the new one, never an empty file.
export function writeGeneration(dir: string, generation: number): void {
  const path = join(dir, GENERATION_FILE);
  const temp = `${path}.tmp`;
  try {
    writeFileSync(temp, `${generation}\n`);
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    // On a full disk, leave no empty temp file behind and name the counter file in the error.
    rmSync(temp, { force: true });
    throw Object.assign(error as Error, { path });
  }
}
