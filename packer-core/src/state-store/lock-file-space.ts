import { closeSync, openSync, rmSync, writeSync } from 'node:fs';

/**
 * Bytes written into a new LMDB lock file before LMDB opens it: more than the reader table lmdb-js sizes for its 126
 * readers (8,272 bytes); LMDB takes a bigger file as it is.
 */
const LOCK_FILE_BYTES = 16 * 1024;

/**
 * Gives a new store's lock file (`<file>-lock`) real disk space before LMDB maps it. LMDB grows the lock file with
 * ftruncate (a sparse file) and then writes its reader table through the mapping: on a full disk that write is a
 * SIGBUS that kills the process (the daemon died on `packer build` with a cold output cache). Written here with
 * plain writes, a full disk is an ENOSPC thrown to the caller, which reports a storage warning instead. An existing
 * lock file is left alone (it was allocated when written, and another handle may be using it).
 */
export function reserveLockFile(file: string): void {
  const lock = `${file}-lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  try {
    const zeros = Buffer.alloc(LOCK_FILE_BYTES);
    for (let done = 0; done < zeros.length;) done += writeSync(fd, zeros, done, zeros.length - done, done);
  } catch (error) {
    closeSync(fd);
    rmSync(lock, { force: true });
    throw error;
  }
  closeSync(fd);
}
