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
export function writeFileAtomic(target: string, data: FileContent, options: { syncDir?: boolean } = {}): void {
  stageFileAtomic(target, data).commit(options);
}

/**
 * What a file is written from: its text or bytes, or a function that hands its text over in pieces (`put`), for a
 * file too big to be worth holding as one string (a pack manifest of 100k entries is ~40 MB of JSON).
 */
export type FileContent = string | Uint8Array | ((put: (text: string) => void) => void);

/** A file written and fsynced under a temp name beside its target, not yet in place. */
export interface StagedFile {
  readonly temp: string;
  readonly target: string;
  /**
   * Renames the temp file over the target (the atomic step) and fsyncs the folder (`syncDir: false`: the caller
   * writes several files into one folder and fsyncs it once after the last). The temp file is gone either way.
   */
  commit(options?: { syncDir?: boolean }): void;
  /** Removes the temp file (never throws). */
  discard(): void;
}

/** Pieces of text handed to `put` are written once this many characters wait. */
const PUT_CHUNK = 1 << 16;

/**
 * The first half of `writeFileAtomic`: the temp file beside `target`, written and fsynced, for a caller that puts
 * it in place later (a pack's manifest, written when the pack is staged and renamed at the build's commit point).
 * Its name is one the build folder's recovery sweeps. No failure leaves it behind.
 */
export function stageFileAtomic(target: string, data: FileContent): StagedFile {
  const dir = path.dirname(target);
  mkdirSync(dir, { recursive: true });
  const mode = existingMode(target);
  // Unique per process and call; `wx` never opens (or follows a symlink at) a name someone else created.
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${Date.now()}.${++tempCounter}.tmp`);
  const fd = openSync(temp, 'wx', mode ?? 0o644);
  try {
    try {
      if (typeof data === 'function') {
        let waiting = '';
        data((text) => {
          waiting += text;
          if (waiting.length < PUT_CHUNK) return;
          writeFileSync(fd, waiting);
          waiting = '';
        });
        writeFileSync(fd, waiting);
      } else writeFileSync(fd, data);
      // The umask may have narrowed the mode open() applied; set it exactly.
      if (mode !== undefined) fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw failedWrite(error, temp, target);
  }
  return {
    temp,
    target,
    commit(options = {}) {
      try {
        renameSync(temp, target);
      } catch (error) {
        throw failedWrite(error, temp, target);
      }
      if (options.syncDir !== false) fsyncDirectory(dir);
    },
    discard: () => removeQuietly(temp),
  };
}

/** Removes the temp file of a write that failed; names the target on an error that names no file (a write to a
 * descriptor), so an IO_ERROR says which file failed. */
function failedWrite(error: unknown, temp: string, target: string): unknown {
  removeQuietly(temp);
  if (error && typeof error === 'object' && (error as NodeJS.ErrnoException).path === undefined)
    (error as NodeJS.ErrnoException).path = target;
  return error;
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
