import {
  close,
  closeSync,
  constants,
  fchmodSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  open,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/** fsyncs a directory so a rename inside it survives a power loss. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * fsyncs a directory off the caller's path (libuv's thread pool), for a change no crash needs on disk but which is
 * better there soon (a commit journal's removal: see `JournalFile.remove`). Errors are dropped: the next durable write
 * in that folder fsyncs it anyway.
 */
export function fsyncDirectoryLater(dir: string): void {
  open(dir, 'r', (openError, fd) => {
    if (openError) return;
    fsync(fd, () => close(fd, () => undefined));
  });
}

/**
 * Overwrites a small file in place: no temp file, no rename, no fsync. Only for files whose reader takes any content
 * (old, new, empty, torn) as "no better value" (`.packer/revision`: a lagging or unreadable value falls back to the
 * clock). A symlink at `target` is refused (ELOOP), never followed.
 */
export function writeFileInPlace(target: string, data: string): void {
  const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    writeFileSync(fd, data);
    ftruncateSync(fd, Buffer.byteLength(data));
  } catch (error) {
    if (error && typeof error === 'object' && (error as NodeJS.ErrnoException).path === undefined)
      (error as NodeJS.ErrnoException).path = target;
    throw error;
  } finally {
    closeSync(fd);
  }
}

let tempCounter = 0;

/**
 * Writes a file atomically: temp file beside it, fsync, rename over the target, fsync the folder.
 * A reader (or a crash) sees either the old bytes or the new ones, never a mix. A replaced file keeps its
 * permission bits (a 0444 or 0600 file stays so), and no failure leaves the temp file behind.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array, options: { syncDir?: boolean } = {}): void {
  const dir = path.dirname(target);
  mkdirSync(dir, { recursive: true });
  const mode = existingMode(target);
  // Unique per process and call; `wx` never opens (or follows a symlink at) a name someone else created.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.${++tempCounter}.tmp`);
  const fd = openSync(temp, 'wx', mode ?? 0o644);
  try {
    try {
      writeFileSync(fd, data);
      // The umask may have narrowed the mode open() applied; set it exactly.
      if (mode !== undefined) fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    removeQuietly(temp);
    // A write through a descriptor names no file: name the target, so an IO_ERROR says which file failed.
    if (error && typeof error === 'object' && (error as NodeJS.ErrnoException).path === undefined)
      (error as NodeJS.ErrnoException).path = target;
    throw error;
  }
  // `syncDir: false`: the caller writes several files into one folder and fsyncs it once after the last.
  if (options.syncDir !== false) fsyncDirectory(dir);
}

/** Permission bits of the regular file at `target`, or undefined when there is none to keep. */
function existingMode(target: string): number | undefined {
  try {
    const stats = lstatSync(target);
    return stats.isFile() ? stats.mode & 0o777 : undefined;
  } catch {
    return undefined;
  }
}

/** Best-effort removal on a failure path: the original error is the one worth reporting. */
function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing more to do; the caller rethrows the real failure
  }
}
