import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isPrivateFolder } from './socket-safety.js';

/** Unix socket paths are limited to ~108 bytes (104 on macOS); stay safely below. */
const SOCKET_PATH_LIMIT = 100;

/** Where one project's daemon keeps its runtime files (all in `.packer/`, git-ignored). */
export interface ProjectFiles {
  projectRoot: string;
  stateDir: string;
  socketPath: string;
  /** The socket lives outside the project, in a folder other users may reach (a temp or runtime folder). */
  socketInSharedFolder: boolean;
  lockDir: string;
  logFile: string;
  endpointFile: string;
  eventsDir: string;
}

/**
 * Resolves the runtime files of a project. The socket lives in `.packer/` unless that path is too long for a
 * Unix socket (or `PACKER_SOCKET_DIR` says otherwise): then a short path keyed by a hash of the project path, so
 * every client finds the same one, in `PACKER_SOCKET_DIR`, else `$XDG_RUNTIME_DIR/packer` (per user, when it is
 * a private folder of ours), else `<tmp>/packer-<uid>`.
 */
export function projectFiles(projectRoot: string, env: NodeJS.ProcessEnv = process.env): ProjectFiles {
  const root = path.resolve(projectRoot);
  const stateDir = path.join(root, '.packer');
  const local = path.join(stateDir, 'daemon.sock');
  let socketPath = local;
  let socketInSharedFolder = false;
  if (env.PACKER_SOCKET_DIR || Buffer.byteLength(local) > SOCKET_PATH_LIMIT) {
    const name = `${sha256Hex(root).slice(0, 16)}.sock`;
    socketPath = path.join(env.PACKER_SOCKET_DIR || fallbackSocketDir(env, name), name);
    socketInSharedFolder = true;
  }
  return {
    projectRoot: root,
    stateDir,
    socketPath,
    socketInSharedFolder,
    lockDir: path.join(stateDir, 'daemon.lock'),
    logFile: path.join(stateDir, 'daemon.log'),
    endpointFile: path.join(stateDir, 'daemon.json'),
    eventsDir: path.join(stateDir, 'events'),
  };
}

/**
 * node:crypto loads ~20 internal modules; most projects never need it here (their socket lives in `.packer/`), and
 * `packer status` resolves these paths before anything else loads (pipelined-calls.ts), so it is loaded on demand.
 */
function sha256Hex(text: string): string {
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(text).digest('hex');
}

function fallbackSocketDir(env: NodeJS.ProcessEnv, name: string): string {
  const uid = process.getuid?.();
  const runtime = env.XDG_RUNTIME_DIR;
  // The per-user runtime folder first: nobody else can create anything in it.
  if (runtime && path.isAbsolute(runtime) && isPrivateFolder(runtime, uid)) {
    const dir = path.join(runtime, 'packer');
    if (Buffer.byteLength(path.join(dir, name)) <= SOCKET_PATH_LIMIT) return dir;
  }
  return path.join(tempDirOf(env), `packer-${uid ?? 'user'}`);
}

/** `os.tmpdir()` as the given environment would see it, so a daemon and its clients agree on one env. */
function tempDirOf(env: NodeJS.ProcessEnv): string {
  if (env === process.env || process.platform === 'win32') return os.tmpdir();
  const dir = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}
