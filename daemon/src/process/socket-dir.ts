import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { unsafeSocketError } from '@packer/client';

/**
 * Daemon side: creates the folder that will hold the socket owner-only, and refuses one that exists but is not
 * this user's own folder (a shared temp folder someone else made first). Our own folder with loose bits is
 * tightened: only we could have made it.
 */
export function ensureSocketDir(socketPath: string): void {
  const dir = path.dirname(socketPath);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      throw unsafeSocketError(`Cannot create the packer socket folder ${dir} (${code ?? (error as Error).message}).`, {
        path: dir,
        errno: code,
      });
    }
  }
  const stats = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw unsafeSocketError(
      `The packer socket folder ${dir} is not a folder owned by this user${uid !== undefined ? ` (uid ${uid}; it belongs to uid ${stats.uid})` : ''}; the daemon will not listen where another user could pose as it.`,
      {
        path: dir,
        owner: stats.uid,
      },
    );
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
