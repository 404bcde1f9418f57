import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { interruptedBuildError, recoverBuildFolder, Workspace, type CommitHook, type SnapshotState } from '@packer/core';
import { PackerError, PROTOCOL_VERSION, formatCursor, type EventEnvelope, type EventPayload, type OperationKind, type StateEventType } from '@packer/core/contract';
import type { JSONRPCServer } from 'json-rpc-2.0';
import type { ConnectionContext } from './connection-context.js';
import { DiskSync } from './disk-sync.js';
import { EventLog } from './events/index.js';
import { createDaemonHandlers } from './handlers/daemon-handlers.js';
import { testHookMethods } from './handlers/test-hooks.js';
import { OperationLane } from './lane/operation-lane.js';
import { acquireDaemonLock } from './process/daemon-lock.js';
import { DaemonLogger } from './process/daemon-logger.js';
import { StorageMonitor, type StorageHealth } from './process/storage-monitor.js';
import { ensureSocketDir, projectFiles, type ProjectFiles } from './process/project-files.js';
import { createRpcServer } from './rpc/rpc-server.js';
import { serveConnection } from './rpc/serve-connection.js';
import { memoryTransportPair, socketTransport, type Transport } from './rpc/transport.js';
import { startWebSocketListener, type WebSocketListener } from './rpc/websocket-listener.js';
import { publishStateChange } from './state-events.js';
import { DAEMON_VERSION } from './version.js';
import { selectWatcherBackend } from './watcher/index.js';

export interface DaemonOptions {
  projectRoot: string;
  env?: NodeJS.ProcessEnv;
  /** Listen on the project's Unix socket (false for an in-process daemon). */
  listen?: boolean;
  /** Watch the disk (default true). */
  watch?: boolean;
  /** Override of packer.json's idle timeout (ms; 0 = never). */
  idleTimeoutMs?: number;
  /** Also listen on the loopback WebSocket (`--ws`); default: `PACKER_WS=1` or packer.json `daemon.websocket.enabled`. */
  websocket?: boolean;
  /** Called once the daemon has stopped (after idle timeout, shutdown request or signal). */
  onStopped?: (reason: string) => void;
}

/**
 * The runtime owner of one project: the current snapshot, one write lane, the watcher, the event log and
 * the JSON-RPC endpoint. It adds transports and process life to packer-core; it never re-derives semantics.
 */
export class Daemon {
  readonly files: ProjectFiles;
  readonly startedAt = new Date();
  workspace!: Workspace;
  events!: EventLog;
  lane!: OperationLane;
  diskSync: DiskSync | undefined;
  ready = false;
  private readonly logger: DaemonLogger;
  private releaseLock: (() => void) | undefined;
  private netServer: net.Server | undefined;
  private webSocket: WebSocketListener | undefined;
  private rpc!: JSONRPCServer<ConnectionContext>;
  private readonly connections = new Set<ConnectionContext>();
  private lastPublished: SnapshotState | undefined;
  private stopping: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleTimeoutMs = 0;
  private storage: StorageMonitor | undefined;

  constructor(private readonly options: DaemonOptions) {
    this.files = projectFiles(options.projectRoot, options.env ?? process.env);
    this.logger = new DaemonLogger(this.files.logFile);
  }

  /** Validates config, recovers the journal, scans, watches, then serves. Throws a PackerError on bad config. */
  async start(): Promise<void> {
    const env = this.options.env ?? process.env;
    const lock = acquireDaemonLock(this.files.lockDir);
    if (!lock.acquired) {
      throw new PackerError('NOT_READY', `A packer daemon is already running for ${this.files.projectRoot} (pid ${lock.holderPid ?? 'unknown'}).`, {
        pid: lock.holderPid,
        hint: 'Use the running daemon, or stop it with `packer daemon stop`.',
      });
    }
    this.releaseLock = lock.release;
    try {
      this.workspace = await Workspace.open(this.files.projectRoot, { env, actor: { client: 'daemon', pid: process.pid }, ...crashHookFrom(env) });
      this.events = EventLog.open(this.files.eventsDir, { onError: (error) => this.logger.warn('event log', { error: String(error) }) });
      this.lane = new OperationLane((event) => void this.events.append(event), () => this.workspace.snapshot.revision);
      this.storage = new StorageMonitor({
        warnings: () => [...this.workspace.storageWarnings(), ...optional(this.events.writeProblem), ...optional(this.logger.writeProblem)],
        retry: () => {
          this.workspace.retryPendingWrites();
          this.events.flushPending();
        },
        log: (level, message, fields) => this.logger.log(level, message, fields),
      }, this.files.stateDir);
      this.storage.start();
      this.failUnterminated();
      this.rpc = createRpcServer(createDaemonHandlers(this), env.PACKER_TEST_HOOKS === '1' ? testHookMethods(this) : {});
      if (this.options.watch !== false) {
        this.diskSync = new DiskSync({
          workspace: this.workspace,
          backend: await selectWatcherBackend(env),
          onStateMaybeChanged: (cause) => this.publishState(cause),
          onConfigInvalid: (error) => this.emitState('config.invalid', { error }),
          onConfigReloaded: (revision) => this.emitState('config.reloaded', { revision }),
          onDegraded: (info) => this.emitState('watcher.degraded', info),
          onRecovered: (backend) => this.emitState('watcher.recovered', { backend }),
          log: (level, message, fields) => this.logger.log(level, message, fields),
        });
        await this.diskSync.start();
      }
      this.publishState('start');
      if (this.options.listen !== false) {
        await this.listenWebSocket(env);
        await this.listen();
      }
      this.idleTimeoutMs = this.options.idleTimeoutMs ?? this.workspace.config.daemon.idleTimeoutMs;
      this.emitState('daemon.started', { pid: process.pid, generation: this.events.generation, version: DAEMON_VERSION });
      this.ready = true;
      this.touch();
      this.logger.info('daemon ready', { root: this.files.projectRoot, socket: this.files.socketPath, generation: this.events.generation });
    } catch (error) {
      this.logger.error('daemon failed to start', { error: (error as Error).message });
      this.storage?.stop();
      await this.diskSync?.close().catch(() => undefined);
      await this.webSocket?.close().catch(() => undefined);
      this.events?.close();
      this.releaseLock?.();
      throw error;
    }
  }

  /** An in-memory connection to this daemon's server (the `--no-daemon` path): same contract, no socket. */
  connectInProcess(): Transport {
    const [serverSide, clientSide] = memoryTransportPair();
    this.accept(serverSide);
    return clientSide;
  }

  /** The WebSocket listener's address and port, when it is on. */
  get webSocketEndpoint(): WebSocketListener['endpoint'] | undefined {
    return this.webSocket?.endpoint;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const connection of this.connections) count += connection.subscriptions.size;
    return count;
  }

  /** Appends a state event (no operation) to the log. */
  emitState<T extends StateEventType>(type: T, payload: EventPayload<T>): EventEnvelope {
    return this.events.append({ type, payload });
  }

  /** Publishes snapshot/divergence events if the workspace moved to a new revision since the last publish. */
  publishState(cause: string): void {
    const next = this.workspace.state;
    publishStateChange((type, payload) => this.emitState(type, payload), this.lastPublished, next, cause);
    this.lastPublished = next;
  }

  /** The daemon's own files: `degraded`, with one warning per file, while writes to them fail. */
  storageHealth(): StorageHealth {
    return this.storage?.health() ?? { state: 'ok', warnings: [] };
  }

  /** A write error that escaped to the process (a background task's): reported in health instead of stopping the daemon. */
  noteEscapedWriteFailure(error: NodeJS.ErrnoException): void {
    this.logger.error('background write failed', { error: error.message, errno: error.code, path: error.path });
    this.storage?.noteEscapedFailure(error);
  }

  /**
   * Last resort when a graceful stop cannot finish: removes the socket, endpoint file and lock synchronously,
   * so the next client starts a fresh daemon instead of waiting on this one. The caller exits right after.
   */
  releaseRuntimeFiles(): void {
    if (this.options.listen !== false) {
      for (const file of [this.files.socketPath, this.files.endpointFile]) {
        try {
          rmSync(file, { force: true });
        } catch {
          // nothing more to try
        }
      }
    }
    try {
      this.releaseLock?.();
    } catch {
      // nothing more to try
    }
    this.releaseLock = undefined;
  }

  /** Marks activity: resets the idle timer. */
  touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.idleTimeoutMs <= 0 || this.stopping) return;
    this.idleTimer = setTimeout(() => {
      if (this.connections.size === 0 && this.lane.depth === 0) void this.shutdown('idle timeout');
      else this.touch();
    }, this.idleTimeoutMs);
    this.idleTimer.unref?.();
  }

  /** Graceful stop: the running operation completes or is cancelled with its terminal event; then everything closes. */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= this.stopNow(reason);
    return this.stopping;
  }

  /**
   * Every step runs whatever the ones before it did: a step that throws (a full disk refusing the last event) is
   * logged and skipped, a step that hangs is given up after STOP_STEP_MS, and the socket, lock and `onStopped`
   * come last, always. A stop therefore always completes.
   */
  private async stopNow(reason: string): Promise<void> {
    const step = async (name: string, action: () => unknown): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), STOP_STEP_MS);
        });
        if ((await Promise.race([Promise.resolve().then(action), timeout])) === 'timeout') {
          this.logger.error('shutdown step did not finish in time; going on', { step: name, timeoutMs: STOP_STEP_MS });
        }
      } catch (error) {
        this.logger.error('shutdown step failed; going on', { step: name, error: String(error) });
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      this.logger.info('daemon stopping', { reason });
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.storage?.stop();
      await step('close socket server', () => this.netServer?.close());
      await step('stop websocket accepting', () => this.webSocket?.stopAccepting());
      await step('announce stop', () => this.events && this.emitState('daemon.stopping', { reason }));
      await step('stop lane', () => this.lane?.stop(`daemon stopping: ${reason}`));
      await step('close watcher', () => this.diskSync?.close());
      await step('close workspace', () => this.workspace?.close());
      await step('close connections', () => {
        for (const connection of this.connections) {
          for (const close of connection.subscriptions.values()) close();
          connection.transport.close();
        }
      });
      await step('close websocket', () => this.webSocket?.close());
      await step('close event log', () => this.events?.close());
    } finally {
      this.releaseRuntimeFiles();
      this.logger.info('daemon stopped', { reason });
      try {
        this.options.onStopped?.(reason);
      } catch (error) {
        this.logger.error('onStopped failed', { error: String(error) });
      }
    }
  }

  private async listen(): Promise<void> {
    ensureSocketDir(this.files.socketPath);
    // We hold the lock, so any socket file left here belongs to a dead daemon.
    rmSync(this.files.socketPath, { force: true });
    const server = net.createServer((socket) => this.accept(socketTransport(socket)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The socket file is created (bound) inside listen(): create it owner-only, so no other user can connect
      // in the moment before the chmod below.
      const umask = process.umask(0o177);
      try {
        server.listen(this.files.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(this.files.socketPath, 0o600);
    server.on('error', (error) => this.logger.error('socket server error', { error: error.message }));
    this.netServer = server;
    writeFileSync(this.files.endpointFile, JSON.stringify({
      pid: process.pid,
      socketPath: this.files.socketPath,
      protocolVersion: PROTOCOL_VERSION,
      daemonVersion: DAEMON_VERSION,
      startedAt: this.startedAt.toISOString(),
      generation: this.events.generation,
    }, null, 2));
  }

  /** The loopback WebSocket for a browser-hosted Studio, when `--ws`, `PACKER_WS=1` or packer.json asks for it. */
  private async listenWebSocket(env: NodeJS.ProcessEnv): Promise<void> {
    const config = this.workspace.config.daemon.websocket;
    const fromEnv = env.PACKER_WS === '1' ? true : env.PACKER_WS === '0' ? false : undefined;
    if (!(this.options.websocket ?? fromEnv ?? config.enabled)) return;
    this.webSocket = await startWebSocketListener({
      stateDir: this.files.stateDir,
      host: config.host,
      port: config.port,
      allowedOrigins: config.allowedOrigins,
      onConnection: (transport) => this.accept(transport),
      log: (level, message, fields) => this.logger.log(level, message, fields),
    });
    this.logger.info('websocket listening', { url: this.webSocket.endpoint.url });
  }

  private accept(transport: Transport): void {
    const context: ConnectionContext = {
      connectionId: randomUUID(),
      transport,
      actor: { client: 'unknown' },
      subscriptions: new Map(),
    };
    this.connections.add(context);
    this.touch();
    transport.onMessage(() => this.touch());
    transport.onClose(() => {
      for (const close of context.subscriptions.values()) close();
      context.subscriptions.clear();
      this.connections.delete(context);
      this.touch();
    });
    serveConnection(transport, this.rpc, context);
  }

  /** A crashed daemon's operations still end with a terminal event: `failed`, emitted at the next start. */
  private failUnterminated(): void {
    // Temp files, unreferenced pack files and the build journal of a build the crash interrupted.
    const builds = recoverBuildFolder(this.workspace.root, this.workspace.stateDir, this.workspace.config);
    const unterminated = this.events.findUnterminated();
    if (unterminated.length === 0) return;
    const kinds = new Map<string, OperationKind>();
    const sequences = new Map<string, number>();
    const started = new Set<string>();
    let after = this.events.oldestSeq - 1;
    for (;;) {
      const page = this.events.readSince(Math.max(0, after), { limit: 1000 });
      if ('expired' in page || page.events.length === 0) break;
      for (const event of page.events) {
        if (!event.operationId) continue;
        if (event.type === 'queued') kinds.set(event.operationId, (event.payload as EventPayload<'queued'>).kind);
        if (event.type === 'started') started.add(event.operationId);
        sequences.set(event.operationId, Math.max(sequences.get(event.operationId) ?? 0, event.sequence ?? 0));
      }
      after = Number(page.events[page.events.length - 1]!.cursor.split('.')[1]);
    }
    for (const operationId of unterminated) {
      // Recovery rolled a committed journal forward (and audited it as applied) or rolled it back: say which,
      // so a client does not retry a move that happened.
      const applied = this.workspace.audit.list({ operationId }).some((record) => record.result === 'applied');
      // A build changes packs, not the registry: say which packs it replaced, as recovery found them.
      const build = kinds.get(operationId) === 'build' ? interruptedBuildError(operationId, started.has(operationId), builds) : undefined;
      this.events.append({
        type: 'failed',
        operationId,
        sequence: (sequences.get(operationId) ?? 0) + 1,
        payload: {
          kind: kinds.get(operationId) ?? 'rescan',
          error: build ? { code: 'INTERNAL', ...build } : {
            code: 'INTERNAL',
            message: applied
              ? 'The daemon stopped after this operation committed; recovery finished it, so its changes are in place.'
              : 'The daemon stopped before this operation committed; recovery rolled it back, so nothing changed.',
            data: { recovered: applied ? 'after' : 'before' },
          },
        },
      });
    }
    this.logger.warn('failed operations left unterminated by a previous daemon', { operations: unterminated, cursor: formatCursor(this.events.generation, this.events.lastSeq) });
  }
}

/** How long one shutdown step may take before the stop goes on without it. */
const STOP_STEP_MS = 5000;

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

/** Test hook: PACKER_TEST_HOOKS=1 with PACKER_TEST_CRASH_AT=<commit point> kills the daemon there (kill -9 mid-apply). */
function crashHookFrom(env: NodeJS.ProcessEnv): { commitHook?: CommitHook } {
  const point = env.PACKER_TEST_HOOKS === '1' ? env.PACKER_TEST_CRASH_AT : undefined;
  if (!point) return {};
  return {
    commitHook: (reached) => {
      if (reached === point) process.kill(process.pid, 'SIGKILL');
    },
  };
}
