import { PackerError } from '../contract/errors.js';
import { NAME_LENGTH_HINT } from './name-length.js';

// What to do about the system call's error, after saying that nothing changed.
const ADVICE: Record<string, string> = {
  EPERM:
    'The file or its folder cannot be changed: check its permissions and attributes (an immutable file: `lsattr`, `chattr -i`; on macOS `chflags nouchg`), then retry.',
  EACCES: 'The file or its folder is not writable by you: check its permissions, then retry.',
  ENAMETOOLONG: NAME_LENGTH_HINT,
  ENOSPC: 'The disk is full: free some space, then retry.',
  EDQUOT: 'Your disk quota is used up: free some space, then retry.',
  EROFS: 'The filesystem is mounted read-only.',
  EBUSY: 'The file is in use by another program: close it, then retry.',
  EXDEV: 'The source and destination are on different filesystems (a mount point inside the project).',
};

/** What to do about a system call's error code (`ENOSPC` → free some space), or a generic line. */
export function ioAdvice(errno: string | undefined): string {
  return ADVICE[errno ?? ''] ?? 'Fix the cause, then retry.';
}

/**
 * The error a failed commit is answered with: an IO_ERROR straight from a system call ("rename failed for …: EPERM")
 * gets a hint saying that the commit was rolled back (files and registry as before, unless the rollback itself
 * reports problems) and what to do about the cause. An error that already carries a hint is returned as it is.
 */
export function withRollbackHint(error: PackerError): PackerError {
  if (error.code !== 'IO_ERROR' || error.data.hint !== undefined) return error;
  const io = error as PackerError<'IO_ERROR'>;
  const undone = (io.data.rollbackProblems?.length ?? 0) === 0;
  const advice = ioAdvice(io.data.errno);
  const hint = undone
    ? `Nothing was changed: the operation was rolled back (files and registry as before). ${advice}`
    : `The operation was rolled back, but not every step could be undone (see rollbackProblems): check those files, then run \`packer check\`. ${advice}`;
  return new PackerError('IO_ERROR', error.message, { ...io.data, hint }, { cause: error.cause ?? error });
}
