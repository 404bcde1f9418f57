import net from 'node:net';
import path from 'node:path';
import { isPackerError, PackerError, PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import type { MethodResult } from '@packer/core/contract';
import type { Connected } from '../common/daemon-client.js';
import { RpcConnection } from '../common/rpc-connection.js';
import { isDaemonAlive } from './daemon-alive.js';
import { loadInProcessDaemon } from './in-process-daemon.js';
import { projectFiles } from './project-files.js';
import { assertSafeSocket } from './socket-folder.js';
import { socketTransport } from './socket-transport.js';
import { readEndpoint, startDaemonProcess } from './start-daemon.js';

export interface ConnectOptions {
  /** Name of the client, for audit records (`cli`, `studio`, …). */
  client: string;
  /** Start the daemon when none is running (default true). */
  autoStart?: boolean;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for a daemon to come up. */
  timeoutMs?: number;
  /** The daemon executable to start (default: the `packer-daemon` bin; tests pass `testDaemonEntryPoint()` of @packer/daemon/testing). */
  daemonEntryPoint?: string;
}

/** However long the start-up took, a daemon that is listening gets this long to answer hello. */
const HELLO_MIN_WAIT_MS = 5_000;

function connectSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function helloOver(connection: RpcConnection, client: string): Promise<MethodResult<'daemon.hello'>> {
  return connection.call('daemon.hello', { client, protocolVersion: PROTOCOL_VERSION, pid: process.pid });
}

/**
 * Finds the project's daemon, starting it detached if absent, and says hello. A daemon speaking another protocol
 * version is asked to stop and a new one is started. Two clients racing to start one still get one daemon.
 */
export async function connectToDaemon(projectRoot: string, options: ConnectOptions): Promise<Connected> {
  const root = path.resolve(projectRoot);
  const env = options.env ?? process.env;
  const files = projectFiles(root, env);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let restartedForVersion = false;
  let started = false;
  for (;;) {
    // Before a byte goes out: whoever listens there must be this user (UNSAFE_SOCKET otherwise, at once).
    assertSafeSocket(files.socketPath, files.socketInSharedFolder);
    let socket: net.Socket | undefined;
    try {
      socket = await connectSocket(files.socketPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED') {
        throw new PackerError('IO_ERROR', `Cannot connect to the packer daemon socket ${files.socketPath}: ${code ?? (error as Error).message}.`, {
          path: files.socketPath,
          errno: code,
          hint: 'Check that the folder is yours and reachable, or set PACKER_SOCKET_DIR to a private folder.',
        }, { cause: error });
      }
    }
    if (socket) {
      const connection = new RpcConnection(socketTransport(socket));
      const hello = await withDeadline(helloOver(connection, options.client), Math.max(deadline, Date.now() + HELLO_MIN_WAIT_MS), () => {
        connection.close();
        return new PackerError('NOT_READY', `The process listening on ${files.socketPath} did not answer daemon.hello in time.`, { path: files.socketPath, logFile: files.logFile });
      });
      if (hello.protocolVersion === PROTOCOL_VERSION) return { connection, hello };
      if (restartedForVersion) throw new PackerError('PROTOCOL_MISMATCH', `The daemon speaks protocol ${hello.protocolVersion}; this client speaks ${PROTOCOL_VERSION}.`, { daemon: hello.protocolVersion, client: PROTOCOL_VERSION });
      await connection.call('daemon.shutdown', { reason: `protocol ${hello.protocolVersion} replaced by ${PROTOCOL_VERSION}` });
      connection.close();
      await waitForExit(hello.pid, deadline);
      restartedForVersion = true;
      continue;
    }
    if (options.autoStart === false) {
      throw new PackerError('NOT_READY', `No packer daemon is running for ${root}.`, { hint: 'Start one with `packer daemon start`.' });
    }
    if (Date.now() > deadline) throw new PackerError('NOT_READY', `The packer daemon for ${root} did not come up in time.`, { logFile: files.logFile });
    let winner: number | undefined;
    if (!started) {
      started = true;
      try {
        await startDaemonProcess(root, env, [], options.daemonEntryPoint);
        continue;
      } catch (error) {
        // Lost a start race: the winner is coming up; connect to it. Anything else (bad config) is the user's to see.
        if (!(isPackerError(error, 'NOT_READY') && error.data.pid !== undefined)) throw error;
        winner = error.data.pid;
      }
    }
    await waitForSocket(files.socketPath, files.endpointFile, deadline, winner);
    // The winner died before it served: the lock is stale now, so the next round starts a daemon itself.
    if (winner !== undefined && !isDaemonAlive(winner)) started = false;
  }
}

/** Runs the daemon's own server in this process over an in-memory transport: the same contract, no socket. */
export async function connectInProcess(projectRoot: string, options: ConnectOptions): Promise<Connected> {
  // Loaded only here: the in-process server pulls in the watcher and the whole core, which socket clients never need.
  const Daemon = await loadInProcessDaemon();
  const daemon = new Daemon({ projectRoot, env: options.env ?? process.env, listen: false, watch: false, idleTimeoutMs: 0 });
  try {
    await daemon.start();
  } catch (error) {
    // A daemon already owns this project: two writers would break the one-lane rule, so use it instead.
    if (isPackerError(error, 'NOT_READY')) {
      // It may still be scanning before it listens: connectToDaemon waits for its socket (a start attempt of
      // ours loses the lock race and just waits too).
      return { ...(await connectToDaemon(projectRoot, options)), usedRunningDaemon: true };
    }
    throw error;
  }
  const connection = new RpcConnection(daemon.connectInProcess());
  const hello = await helloOver(connection, options.client);
  return { connection, hello, inProcess: daemon };
}

/** Settles like `promise`, or rejects with `timeout()` once the deadline passes (a listener that never answers). */
async function withDeadline<T>(promise: Promise<T>, deadline: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeout()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForSocket(socketPath: string, endpointFile: string, deadline: number, winner?: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const socket = await connectSocket(socketPath);
      socket.destroy();
      return;
    } catch {
      if (winner !== undefined && !isDaemonAlive(winner)) return;
      const endpoint = readEndpoint(endpointFile);
      if (endpoint && !isDaemonAlive(endpoint.pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function waitForExit(pid: number, deadline: number): Promise<void> {
  while (Date.now() < deadline && isDaemonAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 25));
}
