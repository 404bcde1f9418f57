import net from 'node:net';
import path from 'node:path';
import { isPackerError, PackerError, PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import type { MethodResult } from '@packer/core/contract';
import type { Connected } from '../common/daemon-client.js';
import { awaitReady } from '../common/await-ready.js';
import { RpcConnection } from '../common/rpc-connection.js';
import { isDaemonAlive } from './daemon-alive.js';
import { loadInProcessDaemon } from './in-process-daemon.js';
import { projectFiles, type ProjectFiles } from './project-files.js';
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
  /**
   * Wait until the daemon is ready: its project open, the first snapshot made (default true). A daemon is live
   * before that (it answers hello and health; `packer daemon start` returns then) and holds every other request until
   * it is ready; false returns as soon as hello is answered.
   */
  ready?: boolean;
  /** The daemon executable to start (default: the `packer-daemon` bin; tests pass `testDaemonEntryPoint()`
   * of @packer/daemon/testing). */
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

/**
 * The hello of a daemon once it is ready (see awaitReady); undefined when the connection was lost before (the
 * daemon died during its open). An open that failed is rethrown with its own code. The connection is closed on
 * either failure.
 */
async function readyOver(
  connection: RpcConnection,
  hello: MethodResult<'daemon.hello'>,
): Promise<MethodResult<'daemon.hello'> | undefined> {
  try {
    return await awaitReady(connection, hello);
  } catch (error) {
    connection.close();
    if (isPackerError(error, 'CONNECTION_LOST')) return undefined;
    throw error;
  }
}

async function helloOver(connection: RpcConnection, client: string): Promise<MethodResult<'daemon.hello'>> {
  return connection.call('daemon.hello', { client, protocolVersion: PROTOCOL_VERSION, pid: process.pid });
}

/** How many daemons one connect may start: a first one, then one per daemon seen dying before it answered hello. */
const MAX_STARTS = 3;
/** Pause before connecting again after a listener dropped hello (a dying daemon's socket goes within milliseconds). */
const RETRY_PAUSE_MS = 25;

/**
 * Finds the project's daemon, starting it detached if absent, and says hello. A daemon speaking another protocol
 * version is asked to stop and a new one is started. Two clients racing to start one still get one daemon.
 * A listener that drops the connection before answering hello (a daemon killed a moment ago still accepts on its
 * socket until its files close) is no usable daemon: hello is idempotent and no request of the caller went out
 * yet, so connect goes on as if nobody listened (start a daemon, or wait for one) until the deadline.
 */
export async function connectToDaemon(projectRoot: string, options: ConnectOptions): Promise<Connected> {
  const root = path.resolve(projectRoot);
  const env = options.env ?? process.env;
  const files = projectFiles(root, env);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let restartedForVersion = false;
  let started = false;
  let starts = 0;
  let dropped = 0;
  for (;;) {
    // Before a byte goes out: whoever listens there must be this user (UNSAFE_SOCKET otherwise, at once).
    assertSafeSocket(files.socketPath, files.socketInSharedFolder);
    let socket: net.Socket | undefined;
    try {
      socket = await connectSocket(files.socketPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // No usable daemon there: no socket, a stale one, one reset by a daemon dying under us (kill -9), or a
      // backlog that is full for a moment. Each is retried or answered by starting a daemon, within the deadline.
      if (code !== 'ENOENT' && code !== 'ECONNREFUSED' && code !== 'ECONNRESET' && code !== 'EAGAIN') {
        throw new PackerError(
          'IO_ERROR',
          `Cannot connect to the packer daemon socket ${files.socketPath}: ${code ?? (error as Error).message}.`,
          {
            path: files.socketPath,
            errno: code,
            hint: 'Check that the folder is yours and reachable, or set PACKER_SOCKET_DIR to a private folder.',
          },
          { cause: error },
        );
      }
    }
    let droppedNow = false;
    if (socket) {
      const connection = new RpcConnection(socketTransport(socket));
      const hello = await sayHello(
        connection,
        options.client,
        files,
        Math.max(deadline, Date.now() + HELLO_MIN_WAIT_MS),
      );
      if (hello === 'dropped') {
        dropped++;
        droppedNow = true;
      } else if (hello.protocolVersion === PROTOCOL_VERSION) {
        if (options.ready === false) return { connection, hello };
        const ready = await readyOver(connection, hello);
        if (ready) return { connection, hello: ready };
        // The daemon died during its open, before it was ready: as a dropped hello, start another or report it.
        dropped++;
        droppedNow = true;
      } else {
        if (restartedForVersion)
          throw new PackerError(
            'PROTOCOL_MISMATCH',
            `The daemon speaks protocol ${hello.protocolVersion}; this client speaks ${PROTOCOL_VERSION}.`,
            { daemon: hello.protocolVersion, client: PROTOCOL_VERSION },
          );
        await connection.call('daemon.shutdown', {
          reason: `protocol ${hello.protocolVersion} replaced by ${PROTOCOL_VERSION}`,
        });
        connection.close();
        await waitForExit(hello.pid, deadline);
        restartedForVersion = true;
        continue;
      }
    }
    if (options.autoStart === false && !droppedNow) {
      throw new PackerError('NOT_READY', `No packer daemon is running for ${root}.`, {
        hint: 'Start one with `packer daemon start`.',
      });
    }
    if (Date.now() > deadline) throw notReadyAtDeadline(root, files, options.autoStart !== false, dropped);
    if (options.autoStart === false) {
      // Whoever dropped us may be a daemon going away: once its socket is gone this ends as "none running".
      await pause(RETRY_PAUSE_MS);
      continue;
    }
    // The daemon we started (or waited for) dropped hello and is gone: the lock is stale, start another.
    if (droppedNow && started && starts < MAX_STARTS && !endpointHolderAlive(files.endpointFile)) started = false;
    let winner: number | undefined;
    if (!started) {
      started = true;
      starts++;
      try {
        await startDaemonProcess(root, env, [], options.daemonEntryPoint);
        continue;
      } catch (error) {
        // Lost a start race: the winner is coming up; connect to it. Anything else (bad config) is the user's to see.
        if (!(isPackerError(error, 'NOT_READY') && error.data.pid !== undefined)) throw error;
        winner = error.data.pid;
      }
    }
    if (droppedNow) await pause(RETRY_PAUSE_MS);
    await waitForSocket(files.socketPath, files.endpointFile, deadline, winner);
    // The winner died before it served: the lock is stale now, so the next round starts a daemon itself.
    if (winner !== undefined && !isDaemonAlive(winner) && starts < MAX_STARTS) started = false;
  }
}

/**
 * Says hello over a fresh connection: the daemon's answer, or `dropped` when the connection closed before any
 * answer came (closed here too). A listener that stays silent past `deadline` is NOT_READY.
 */
async function sayHello(
  connection: RpcConnection,
  client: string,
  files: ProjectFiles,
  deadline: number,
): Promise<MethodResult<'daemon.hello'> | 'dropped'> {
  try {
    return await withDeadline(helloOver(connection, client), deadline, () => {
      connection.close();
      return new PackerError(
        'NOT_READY',
        `The process listening on ${files.socketPath} did not answer daemon.hello in time.`,
        { path: files.socketPath, logFile: files.logFile },
      );
    });
  } catch (error) {
    if (!isPackerError(error, 'CONNECTION_LOST')) throw error;
    connection.close();
    return 'dropped';
  }
}

function notReadyAtDeadline(root: string, files: ProjectFiles, autoStart: boolean, dropped: number): PackerError {
  if (dropped > 0) {
    return new PackerError(
      'NOT_READY',
      `The process listening on ${files.socketPath} closed the connection before it answered (daemon.hello, or daemon.ready while opening the project; ${dropped} ${dropped === 1 ? 'time' : 'times'}); no packer daemon for ${root} answered in time.`,
      {
        path: files.socketPath,
        logFile: files.logFile,
        hint: autoStart
          ? `See the daemon log ${files.logFile}; if no packer daemon is running, something else listens on the socket: stop it or remove ${files.socketPath}.`
          : `If a daemon was just stopped or killed, start one with \`packer daemon start\`; otherwise something else listens on the socket: stop it or remove ${files.socketPath}.`,
      },
    );
  }
  return new PackerError('NOT_READY', `The packer daemon for ${root} did not come up in time.`, {
    logFile: files.logFile,
  });
}

/** True while the daemon named by the endpoint file lives (false when there is none). */
function endpointHolderAlive(endpointFile: string): boolean {
  const endpoint = readEndpoint(endpointFile);
  return endpoint !== undefined && isDaemonAlive(endpoint.pid);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs the daemon's own server in this process over an in-memory transport: the same contract, no socket. */
export async function connectInProcess(projectRoot: string, options: ConnectOptions): Promise<Connected> {
  // Loaded only here: the in-process server pulls in the watcher and the whole core, which socket clients never need.
  const Daemon = await loadInProcessDaemon();
  const daemon = new Daemon({
    projectRoot,
    env: options.env ?? process.env,
    listen: false,
    watch: false,
    idleTimeoutMs: 0,
  });
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

async function waitForSocket(
  socketPath: string,
  endpointFile: string,
  deadline: number,
  winner?: number,
): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const socket = await connectSocket(socketPath);
      socket.destroy();
      return;
    } catch {
      if (winner !== undefined && !isDaemonAlive(winner)) return;
      const endpoint = readEndpoint(endpointFile);
      if (endpoint && !isDaemonAlive(endpoint.pid)) return;
      await pause(RETRY_PAUSE_MS);
    }
  }
}

async function waitForExit(pid: number, deadline: number): Promise<void> {
  while (Date.now() < deadline && isDaemonAlive(pid)) await pause(RETRY_PAUSE_MS);
}
