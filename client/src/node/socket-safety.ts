import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';

// Node built-ins only: the pipelined status path (pipelined-calls.ts) checks the socket before the contract loads.

/** Why a socket (or its folder) cannot be trusted: the message and data of the UNSAFE_SOCKET error. */
export interface UnsafeSocket {
  message: string;
  data: Record<string, unknown>;
}

type Inspected = { stats: Stats | undefined } | { problem: UnsafeSocket };

function inspect(file: string): Inspected {
  try {
    return { stats: lstatSync(file) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { stats: undefined };
    return {
      problem: {
        message: `Cannot inspect ${file} (${code ?? (error as Error).message}), so the packer daemon socket there cannot be trusted.`,
        data: { path: file, errno: code },
      },
    };
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
 * Returns what is wrong, or undefined when the socket may be used.
 */
export function socketSafetyProblem(
  socketPath: string,
  shared: boolean,
  uid = process.getuid?.(),
): UnsafeSocket | undefined {
  if (uid === undefined) return undefined;
  const folder = path.dirname(socketPath);
  if (shared) {
    const inspected = inspect(folder);
    if ('problem' in inspected) return inspected.problem;
    const { stats } = inspected;
    if (stats === undefined) return undefined;
    if (!stats.isDirectory()) {
      return {
        message: `The packer socket folder ${folder} is not a folder (${stats.isSymbolicLink() ? 'a symbolic link' : 'another kind of file'}); another user could pose as the daemon through it.`,
        data: { path: folder },
      };
    }
    if (stats.uid !== uid) {
      return {
        message: `The packer socket folder ${folder} belongs to uid ${stats.uid}, not to this user (uid ${uid}); another user could pose as the daemon there.`,
        data: { path: folder, owner: stats.uid, uid },
      };
    }
    if ((stats.mode & 0o022) !== 0) {
      return {
        message: `The packer socket folder ${folder} has mode ${octal(stats.mode)}: others can write it, so another user could pose as the daemon there.`,
        data: { path: folder, mode: octal(stats.mode) },
      };
    }
    const parentInspected = inspect(path.dirname(folder));
    if ('problem' in parentInspected) return parentInspected.problem;
    const parent = parentInspected.stats;
    // In a parent anyone may write without the sticky bit, the folder itself could be renamed away and replaced.
    if (parent && (parent.mode & 0o002) !== 0 && (parent.mode & 0o1000) === 0) {
      return {
        message: `The packer socket folder ${folder} sits in ${path.dirname(folder)} (mode ${octal(parent.mode)}), where anyone can replace it.`,
        data: { path: path.dirname(folder), mode: octal(parent.mode) },
      };
    }
  }
  const inspected = inspect(socketPath);
  if ('problem' in inspected) return inspected.problem;
  const socket = inspected.stats;
  if (socket === undefined) return undefined;
  if (socket.isSymbolicLink()) {
    return {
      message: `The packer socket ${socketPath} is a symbolic link; the daemon never makes one, so it cannot be trusted.`,
      data: { path: socketPath },
    };
  }
  if (socket.uid !== uid) {
    return {
      message: `The packer socket ${socketPath} belongs to uid ${socket.uid}, not to this user (uid ${uid}); whoever listens there is not your daemon.`,
      data: { path: socketPath, owner: socket.uid, uid },
    };
  }
  return undefined;
}
