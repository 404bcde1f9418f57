import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { PackerError } from '@packer/core/contract/runtime';
import os from 'node:os';
import path from 'node:path';

/** Unix socket paths are limited to ~108 bytes (104 on macOS); stay safely below. */
const SOCKET_PATH_LIMIT = 100;

/** Where one project's daemon keeps its runtime files (all in `.packer/`, git-ignored). */
export interface ProjectFiles {
  projectRoot: string;
  stateDir: string;
  socketPath: string;
  lockDir: string;
  logFile: string;
  endpointFile: string;
  eventsDir: string;
}

/**
 * Resolves the runtime files of a project. The socket lives in `.packer/` unless that path is too long for a
 * Unix socket (or `PACKER_SOCKET_DIR` says otherwise): then a short path in a private temp folder, keyed by a
 * hash of the project path, so every client finds the same one.
 */
export function projectFiles(projectRoot: string, env: NodeJS.ProcessEnv = process.env): ProjectFiles {
  const root = path.resolve(projectRoot);
  const stateDir = path.join(root, '.packer');
  const local = path.join(stateDir, 'daemon.sock');
  let socketPath = local;
  if (env.PACKER_SOCKET_DIR || Buffer.byteLength(local) > SOCKET_PATH_LIMIT) {
    const dir = env.PACKER_SOCKET_DIR ?? path.join(os.tmpdir(), `packer-${process.getuid?.() ?? 'user'}`);
    const key = createHash('sha256').update(root).digest('hex').slice(0, 16);
    socketPath = path.join(dir, `${key}.sock`);
  }
  return {
    projectRoot: root,
    stateDir,
    socketPath,
    lockDir: path.join(stateDir, 'daemon.lock'),
    logFile: path.join(stateDir, 'daemon.log'),
    endpointFile: path.join(stateDir, 'daemon.json'),
    eventsDir: path.join(stateDir, 'events'),
  };
}

/** Creates the folder that will hold the socket, owner-only. */
export function ensureSocketDir(socketPath: string): void {
  const dir = path.dirname(socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A shared temp dir could hold a folder someone else made first: only our own, private folder will do.
  const stats = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw new PackerError('IO_ERROR', `The socket folder ${dir} is not a folder owned by this user.`, {
      path: dir,
      hint: 'Remove it, or point PACKER_SOCKET_DIR at a private folder.',
    });
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
