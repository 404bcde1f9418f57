/**
 * Names the file a system call failed on when Node did not: a write through a file handle or descriptor
 * (`handle.write`, `fs.writeSync`) fails with `syscall` and `code` but no `path`, and "write failed for a file:
 * ENOSPC" does not say which disk is full. Returns the error (the same object) for rethrowing.
 */
export function withErrorPath(error: unknown, file: string): unknown {
  if (error && typeof error === 'object') {
    const io = error as { syscall?: unknown; path?: unknown };
    if (typeof io.syscall === 'string' && (typeof io.path !== 'string' || io.path === '')) io.path = file;
  }
  return error;
}
