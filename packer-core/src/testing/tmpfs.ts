import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A real tmpfs of `size` (e.g. `4m`) at `<base>/mnt`, for tests that need a disk that really fills up: LMDB and
 * worker threads write through native calls no JavaScript-level injection can fail. Mounting needs root (tests run
 * as root here and in CI); where it is refused, `error` says why and the caller skips its case loudly.
 */
export function mountTmpfs(base: string, size: string, what: string): { mountPoint?: string; error?: string } {
  const dir = path.join(base, 'mnt');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { mountPoint: dir };
  } catch (error) {
    const message = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    console.warn(`\n!!! SKIPPING the real full-disk ${what}: cannot mount a tmpfs (${message}). Run as root. !!!\n`);
    return { error: message };
  }
}

/** Unmounts what mountTmpfs mounted (lazily: a store still open in a worker must not keep it busy). */
export function unmountTmpfs(mountPoint: string | undefined): void {
  if (mountPoint) execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
}

/** Fills the file system holding `folder` to the last byte with one file, and returns its path (remove it to free). */
export function fillDisk(folder: string): string {
  const filler = path.join(folder, `filler-${Date.now()}`);
  const fd = openSync(filler, 'w');
  try {
    for (const size of [64 * 1024, 512]) {
      try {
        for (;;) writeSync(fd, Buffer.alloc(size, 1));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}
