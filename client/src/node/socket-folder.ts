import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import { PackerError } from '@packer/core/contract/runtime';

const HINT =
  'Use a folder only you can write: set XDG_RUNTIME_DIR (a per-user runtime folder, mode 0700) or PACKER_SOCKET_DIR to one, ' +
  'or remove the folder named here if nothing in it is yours.';

/** The error both ends raise for a socket or socket folder that another user could have planted. */
export function unsafeSocketError(message: string, data: Record<string, unknown>): PackerError {
  return new PackerError('UNSAFE_SOCKET', message, { ...data, hint: HINT });
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unsafeSocketError(
      `Cannot inspect ${file} (${code ?? (error as Error).message}), so the packer daemon socket there cannot be trusted.`,
      { path: file, errno: code },
    );
  }
}

const octal = (mode: number): string => '0' + (mode & 0o7777).toString(8);

/**
 * True for a folder this user owns that nobody else can write: a shared temp folder someone else made first
 * could hold a listener posing as the daemon. `uid` undefined (Windows) trusts the folder.
 */
export function isPrivateFolder(folder: string, uid = process.getuid?.()): boolean {
  if (uid === undefined) return true;
  try {
    const stats = lstatSync(folder);
    return stats.isDirectory() && stats.uid === uid && (stats.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/**
 * Client side, before a single byte goes out: the socket must be this user's, and when it lives in a shared
 * folder (`shared`), that folder must be a real folder this user owns that no one else can write (else someone
 * could swap the socket between this check and the connect), inside a parent that nobody else can rename it in.
 * Nothing there yet is fine: there is no daemon to talk to, and the daemon makes the folder private itself.
 */
export function assertSafeSocket(socketPath: string, shared: boolean, uid = process.getuid?.()): void {
  if (uid === undefined) return;
  const folder = path.dirname(socketPath);
  if (shared) {
    const stats = lstatOrUndefined(folder);
    if (stats === undefined) return;
    if (!stats.isDirectory()) {
      throw unsafeSocketError(
        `The packer socket folder ${folder} is not a folder (${stats.isSymbolicLink() ? 'a symbolic link' : 'another kind of file'}); another user could pose as the daemon through it.`,
        { path: folder },
      );
    }
    if (stats.uid !== uid) {
      throw unsafeSocketError(
        `The packer socket folder ${folder} belongs to uid ${stats.uid}, not to this user (uid ${uid}); another user could pose as the daemon there.`,
        { path: folder, owner: stats.uid, uid },
      );
    }
    if ((stats.mode & 0o022) !== 0) {
      throw unsafeSocketError(
        `The packer socket folder ${folder} has mode ${octal(stats.mode)}: others can write it, so another user could pose as the daemon there.`,
        { path: folder, mode: octal(stats.mode) },
      );
    }
    const parent = lstatOrUndefined(path.dirname(folder));
    // In a parent anyone may write without the sticky bit, the folder itself could be renamed away and replaced.
    if (parent && (parent.mode & 0o002) !== 0 && (parent.mode & 0o1000) === 0) {
      throw unsafeSocketError(
        `The packer socket folder ${folder} sits in ${path.dirname(folder)} (mode ${octal(parent.mode)}), where anyone can replace it.`,
        { path: path.dirname(folder), mode: octal(parent.mode) },
      );
    }
  }
  const socket = lstatOrUndefined(socketPath);
  if (socket === undefined) return;
  if (socket.isSymbolicLink()) {
    throw unsafeSocketError(
      `The packer socket ${socketPath} is a symbolic link; the daemon never makes one, so it cannot be trusted.`,
      { path: socketPath },
    );
  }
  if (socket.uid !== uid) {
    throw unsafeSocketError(
      `The packer socket ${socketPath} belongs to uid ${socket.uid}, not to this user (uid ${uid}); whoever listens there is not your daemon.`,
      { path: socketPath, owner: socket.uid, uid },
    );
  }
}
