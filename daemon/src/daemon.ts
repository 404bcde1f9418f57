import { rmSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import {
  loadConfig,
  recoverBuildFolder,
  restoreLastBuilds,
  turnEventLoop,
  Workspace,
  type ProjectConfig,
  type SnapshotState,
} from '@packer/core';
import {
  PackerError,
  formatCursor,
  type EventEnvelope,
  type EventPayload,
  type MethodResult,
  type StateEventType,
} from '@packer/core/contract';
import { memoryTransportPair, projectFiles, socketTransport, type ProjectFiles, type Transport } from '@packer/client';
import type { JSONRPCServer } from 'json-rpc-2.0';
import type { ConnectionContext } from './connection-context.js';
import { removeStaleCookies } from './cookie-sync.js';
import type { DaemonHooks } from './daemon-hooks.js';
import { DiskSync } from './disk-sync.js';
import { EventLog, endUnterminated } from './events/index.js';
import type { DaemonRuntime, DaemonServices } from './handlers/daemon-services.js';
import { createDaemonHandlers, helloResult, OPENING_METHODS, type DaemonFacts } from './handlers/daemon-handlers.js';
import { createMethodHandlers } from './handlers/method-handlers.js';
import { OperationLane } from './lane/operation-lane.js';
import { acquireDaemonLock } from './process/daemon-lock.js';
import { DaemonLogger } from './process/daemon-logger.js';
import { watchProjectPresence } from './process/project-presence.js';
import { listenOnSocket } from './process/socket-server.js';
import { runStopStep } from './process/stop-steps.js';
import { StorageMonitor, type StorageHealth } from './process/storage-monitor.js';
import { createRpcServer } from './rpc/rpc-server.js';
import { OpenConnections } from './rpc/open-connections.js';
import { methodOf, openFailedAnswer, settleable, type RpcReceiver } from './rpc/opening-gate.js';
import type { WebSocketListener } from './rpc/websocket-listener.js';
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
  /** Also listen on the loopback WebSocket (`--ws`); default: `PACKER_WS=1` or packer.json
   * `daemon.websocket.enabled`. */
  websocket?: boolean;
  /** Called once the daemon listens and answers `daemon.hello` (live), before its project is open (ready). */
  onLive?: () => void;
  /** Called once the daemon has stopped (after idle timeout, shutdown request or signal). */
  onStopped?: (reason: string) => void;
  /** Test entry only (`@packer/daemon/testing`): extra methods and failure injection. */
  hooks?: DaemonHooks;
}

/** The parts a started daemon runs on; they exist together or not at all. */
interface Running {
  workspace: Workspace;
  events: EventLog;
  lane: OperationLane;
  storage: StorageMonitor;
  diskSync: DiskSync | undefined;
  rpc: JSONRPCServer<ConnectionContext>;
}

/**
 * The runtime owner of one project: the current snapshot, one write lane, the watcher, the event log and
 * the JSON-RPC endpoint. It adds transports and process life to packer-core; it never re-derives semantics.
 * Handlers see it only as `DaemonServices`, composed once in `start`.
 */
export class Daemon implements DaemonRuntime {
  readonly files: ProjectFiles;
  readonly startedAt = new Date();
  ready = false;
  /** Settles when the project is open (ready) or the open failed. */
  private readonly opened = settleable();
  /** What `daemon.hello` answered when the daemon became live (sent to the client that started it). */
  liveHello: MethodResult<'daemon.hello'> | undefined;
  /** The watcher while the project opens (health reports it before it is ready). */
  private openingDiskSync: DiskSync | undefined;
  /** The server of the `daemon.*` methods a live daemon answers before it is ready. */
  private opening: JSONRPCServer<ConnectionContext> | undefined;
  private readonly logger: DaemonLogger;
  private running: Running | undefined;
  private releaseLock: (() => void) | undefined;
  private netServer: net.Server | undefined;
  private webSocket: WebSocketListener | undefined;
  private readonly connections = new OpenConnections(() => this.touch());
  private lastPublished: SnapshotState | undefined;
  private stopping: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleTimeoutMs = 0;
  private presence: ReturnType<typeof watchProjectPresence> | undefined;

  constructor(private readonly options: DaemonOptions) {
    this.files = projectFiles(options.projectRoot, options.env ?? process.env);
    this.logger = new DaemonLogger(this.files.logFile);
  }

  /** The project's workspace (once started). */
  get workspace(): Workspace {
    return this.started().workspace;
  }

  /** The persisted event log (once started). */
  get events(): EventLog {
    return this.started().events;
  }

  /**
   * Validates config, opens the event log and listens (live: `onLive`), then recovers the journal, scans and
   * watches (ready). Throws a PackerError on bad config. Between live and ready the daemon answers `daemon.hello`,
   * `daemon.health` (ready: false) and `daemon.shutdown`; every other request waits for the open and is answered
   * from its first snapshot, or with the open's error. A client that starts a daemon is back once it is live.
   */
  async start(): Promise<void> {
    const env = this.options.env ?? process.env;
    const hooks = this.options.hooks ?? {};
    const lock = acquireDaemonLock(this.files.lockDir);
    if (!lock.acquired) {
      const error = new PackerError(
        'NOT_READY',
        `A packer daemon is already running for ${this.files.projectRoot} (pid ${lock.holderPid ?? 'unknown'}).`,
        {
          ...(lock.holderPid !== undefined ? { pid: lock.holderPid } : {}),
          hint: 'Use the running daemon, or stop it with `packer daemon stop`.',
        },
      );
      // Nothing waits on this daemon's open (it never listened), but a stop asked of it must not wait forever.
      this.opened.reject(error);
      throw error;
    }
    this.releaseLock = lock.release;
    let events: EventLog | undefined;
    let storage: StorageMonitor | undefined;
    let diskSync: DiskSync | undefined;
    try {
      // Validated before anything is served: a bad packer.json is the starter's error, naming the field.
      const root = path.resolve(this.files.projectRoot);
      const config = loadConfig(root, env);
      const log = EventLog.open(this.files.eventsDir, {
        onError: (error) => this.logger.warn('event log', { error: String(error) }),
      });
      events = log;
      const facts: DaemonFacts = {
        workspace: { root, config, snapshot: { projectName: config.name, revision: 0 } },
        lane: { depth: 0, runningOperation: null },
        events: log,
        runtime: this,
      };
      this.opening = createRpcServer(createDaemonHandlers(facts));
      this.liveHello = helloResult(facts);
      if (this.options.listen !== false) {
        await this.listenWebSocket(env, config);
        this.netServer = await listenOnSocket(
          this.files,
          { startedAt: this.startedAt, generation: log.generation },
          (socket) => this.accept(socketTransport(socket)),
          (error) => this.logger.error('socket server error', { error: error.message }),
        );
      }
      // A daemon whose project folder is deleted exits at once, writing nothing there (no log, no graceful stop):
      // it used to run forever and, racing the `rm -rf`, re-create `.packer/`. Watched from live on: an open that
      // fails because the folder went away is that, not a failed start.
      // So does one whose `.packer/` is deleted under it: its lock went with it, and another daemon may own the
      // project by now (a zombie holding 1M files' state ran on for half an hour in the 1M bench's tree).
      if (this.options.listen !== false)
        this.presence = watchProjectPresence(root, (gone) => this.projectGone(gone.reason), undefined, lock.held);
      this.options.onLive?.();
      await hooks.beforeOpen?.();
      // Order of start-up, so that no change falls between the scan and the watch: the watcher subscribes first
      // (@parcel/watcher crawls the tree on its own thread, adding an inotify watch per folder), the open loads the
      // registry meanwhile, and its scan waits for the subscription (`beforeScan`). Every folder is then watched
      // before the scan reads it: a change before the read is in the scan, one after it is in a batch, held until
      // `attach` and applied then. When the crawl ran beside the scan instead, a folder the scan had read before
      // the crawl reached it could take a change in between that neither saw. Measured at 100k files (loaded
      // 2-core machine, alternating runs): time to ready within the noise either way, process CPU 2.83 vs 2.88 s.
      let watching: Promise<void> | undefined;
      if (this.options.watch !== false) {
        diskSync = new DiskSync({
          root,
          config,
          backend: await selectWatcherBackend(env),
          onStateMaybeChanged: (cause) => this.publishState(cause),
          onConfigInvalid: (error) => this.emitState('config.invalid', { error }),
          onConfigReloaded: (revision) => this.emitState('config.reloaded', { revision }),
          onDegraded: (info) => this.emitState('watcher.degraded', info),
          onRecovered: (backend) => this.emitState('watcher.recovered', { backend }),
          log: (level, message, fields) => this.logger.log(level, message, fields),
        });
        watching = diskSync.start();
        this.openingDiskSync = diskSync;
      }
      const opened = await Workspace.open(this.files.projectRoot, {
        env,
        actor: { client: 'daemon', pid: process.pid },
        ...(hooks.commitHook ? { commitHook: hooks.commitHook } : {}),
        ...(watching ? { beforeScan: watching } : {}),
      });
      // Cookie files of a daemon killed during a synced read: the packer's own litter in the user's folders.
      const strayCookies = removeStaleCookies(opened.config.assetRoots.map((root) => path.join(opened.root, root)));
      if (strayCookies.length > 0)
        this.logger.info('removed cookie files left by a previous daemon', { files: strayCookies });
      const lane = new OperationLane(
        (event) => void log.append(event),
        () => opened.snapshot.revision,
        (operationId, error) =>
          this.logger.error('operation failed with an internal error', { operationId, stack: errorStack(error) }),
      );
      storage = new StorageMonitor(
        {
          warnings: () => [
            ...opened.storageWarnings(),
            ...optional(log.writeProblem),
            ...optional(this.logger.writeProblem),
          ],
          retry: () => {
            opened.retryPendingWrites();
            log.flushPending();
          },
          log: (level, message, fields) => this.logger.log(level, message, fields),
        },
        this.files.stateDir,
      );
      storage.start();
      // Temp files, unreferenced pack files and the build journal of a build a crash interrupted; then a terminal event
      // for each operation the crash cut short.
      const ended = endUnterminated(log, opened, recoverBuildFolder(opened.root, opened.stateDir, opened.config));
      if (ended.length > 0)
        this.logger.warn('operations left unterminated by a previous daemon, ended from what recovery found', {
          operations: ended,
          cursor: formatCursor(log.generation, log.lastSeq),
        });
      const services = this.services(opened, log, lane, diskSync, hooks);
      this.running = {
        workspace: opened,
        events: log,
        lane,
        storage,
        diskSync,
        rpc: createRpcServer(createMethodHandlers(services), hooks.methods?.(services) ?? {}),
      };
      // After a restart, show the builds recorded by the previous daemon in snapshot.summary.lastBuilds.
      void restoreLastBuilds(opened).then(
        (published) => published && this.ready && this.publishState('build'),
        () => undefined,
      );
      await watching;
      this.publishState('start');
      diskSync?.attach(opened);
      this.idleTimeoutMs = this.options.idleTimeoutMs ?? opened.config.daemon.idleTimeoutMs;
      this.emitState('daemon.started', { pid: process.pid, generation: log.generation, version: DAEMON_VERSION });
      this.ready = true;
      this.opened.resolve();
      this.touch();
      this.logger.info('daemon ready', {
        root: this.files.projectRoot,
        socket: this.files.socketPath,
        generation: log.generation,
      });
    } catch (error) {
      const gone = this.presence?.check();
      this.presence?.stop();
      if (gone) this.projectGone(gone.reason);
      this.logger.error('daemon failed to start', { error: (error as Error).message });
      // Requests that waited for the open get its error; then nothing is left listening. The server stops accepting
      // first, then every connection is closed (the server's close would wait for clients that stay connected).
      this.opened.reject(error);
      this.running = undefined;
      storage?.stop();
      await diskSync?.close().catch(() => undefined);
      this.netServer?.close();
      await turnEventLoop(); // the waiting requests' error answers go out before their connections close
      this.connections.closeAll();
      await this.webSocket?.close().catch(() => undefined);
      events?.close();
      this.releaseRuntimeFiles();
      throw error;
    }
  }

  /** The project folder went away: stop at once, writing nothing more under it (the process exits in onStopped). */
  private projectGone(reason: string): void {
    this.stopping ??= Promise.resolve();
    this.options.onStopped?.(`project ${reason}`);
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
    return this.connections.count;
  }

  get subscriberCount(): number {
    return this.connections.subscriberCount;
  }

  watcherHealth(): MethodResult<'daemon.health'>['watcher'] {
    return (this.running?.diskSync ?? this.openingDiskSync)?.watcherHealth ?? { backend: 'none', state: 'off' };
  }

  /** Appends a state event (no operation) to the log. */
  emitState<T extends StateEventType>(type: T, payload: EventPayload<T>): EventEnvelope {
    return this.started().events.append({ type, payload });
  }

  /** Publishes snapshot/divergence events if the workspace moved to a new revision since the last publish. */
  publishState(cause: string): void {
    const next = this.started().workspace.state;
    publishStateChange((type, payload) => this.emitState(type, payload), this.lastPublished, next, cause);
    this.lastPublished = next;
  }

  /** The daemon's own files: `degraded`, with one warning per file, while writes to them fail. */
  storageHealth(): StorageHealth {
    return this.running?.storage.health() ?? { state: 'ok', warnings: [] };
  }

  /** A write error that escaped to the process (a background task's): reported in health instead of stopping the
   * daemon. */
  noteEscapedWriteFailure(error: NodeJS.ErrnoException): void {
    this.logger.error('background write failed', { error: error.message, errno: error.code, path: error.path });
    this.running?.storage.noteEscapedFailure(error);
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
      if (this.connections.count === 0 && (this.running?.lane.depth ?? 0) === 0) void this.shutdown('idle timeout');
      else this.touch();
    }, this.idleTimeoutMs);
    this.idleTimer.unref?.();
  }

  /** Graceful stop: the running operation completes or is cancelled with its terminal event; then everything closes. */
  shutdown(reason: string): Promise<void> {
    // A stop asked for while the project opens waits for the open (a failed open has already let everything go).
    this.stopping ??= this.ready ? this.stopNow(reason) : this.stopAfterOpen(reason);
    return this.stopping;
  }

  /**
   * A stop asked for while the project opens: once the open is done, the graceful stop; a failed open has let
   * everything go already. An open that takes longer than STOP_WHILE_OPENING_MS (a stalled disk) is abandoned: the
   * socket, endpoint file and lock go, and `onStopped` ends the process (the open is crash-safe at every point, as a
   * kill -9 would find it).
   */
  private async stopAfterOpen(reason: string): Promise<void> {
    const waitMs = this.options.hooks?.stopWhileOpeningMs ?? STOP_WHILE_OPENING_MS;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.opened.promise.then(
        () => 'opened' as const,
        () => 'failed' as const,
      ),
      new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), waitMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'opened') return this.stopNow(reason);
    if (outcome === 'failed') return;
    this.logger.error('stop asked for while opening, and the open did not end in time; stopping without it', {
      reason,
      waitedMs: waitMs,
    });
    this.presence?.stop();
    this.releaseRuntimeFiles();
    this.options.onStopped?.(reason);
  }

  /**
   * Every step runs whatever the ones before it did (`runStopStep`: a step that throws or hangs is logged and
   * passed), and the socket, lock and `onStopped` come last, always. A stop therefore always completes.
   */
  private async stopNow(reason: string): Promise<void> {
    const step = (name: string, action: () => unknown) =>
      runStopStep(name, action, (message, fields) => this.logger.error(message, fields));
    const running = this.running;
    try {
      this.logger.info('daemon stopping', { reason });
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.presence?.stop();
      running?.storage.stop();
      await step('close socket server', () => this.netServer?.close());
      await step('stop websocket accepting', () => this.webSocket?.stopAccepting());
      await step('announce stop', () => running && this.emitState('daemon.stopping', { reason }));
      await step('stop lane', () => running?.lane.stop(`daemon stopping: ${reason}`));
      await step('close watcher', () => running?.diskSync?.close());
      await step('close workspace', () => running?.workspace.close());
      await step('close connections', () => this.connections.closeAll());
      await step('close websocket', () => this.webSocket?.close());
      await step('close event log', () => running?.events.close());
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

  /** The loopback WebSocket for a browser-hosted Studio, when `--ws`, `PACKER_WS=1` or packer.json asks for it. */
  private async listenWebSocket(env: NodeJS.ProcessEnv, projectConfig: ProjectConfig): Promise<void> {
    const config = projectConfig.daemon.websocket;
    const fromEnv = env.PACKER_WS === '1' ? true : env.PACKER_WS === '0' ? false : undefined;
    if (!(this.options.websocket ?? fromEnv ?? config.enabled)) return;
    // Loaded only when asked for: `ws` is a dozen modules a daemon without a browser Studio never needs.
    const { startWebSocketListener } = await import('./rpc/websocket-listener.js');
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
    this.connections.accept(transport, this.rpc);
  }

  /**
   * Every connection's server. Once ready: the daemon's RPC server. While the project opens: `daemon.hello`,
   * `daemon.health` and `daemon.shutdown` at once, anything else once the open is done (or with its error).
   */
  private readonly rpc: RpcReceiver<ConnectionContext> = {
    receive: (request, context) => {
      if (this.ready) return this.started().rpc.receive(request, context);
      if (this.opening && OPENING_METHODS.has(methodOf(request))) return this.opening.receive(request, context);
      return this.opened.promise.then(
        () => this.started().rpc.receive(request, context),
        (error: unknown) => openFailedAnswer(request, error),
      );
    },
  };

  /** What the handlers may use: the started parts, and this daemon as their runtime. */
  private services(
    workspace: Workspace,
    events: EventLog,
    lane: OperationLane,
    diskSync: DiskSync | undefined,
    hooks: DaemonHooks,
  ): DaemonServices {
    return {
      workspace,
      events,
      lane,
      runtime: this,
      syncWithDisk: async () => {
        await diskSync?.sync();
      },
      catchUpWithDisk: async (cause) => {
        if (diskSync) return diskSync.sync();
        await workspace.refresh(undefined, cause);
        this.publishState('rescan');
      },
      noteOwnWrites: (paths) => diskSync?.noteOwnWrites(paths),
      publishState: (cause) => this.publishState(cause),
      buildCrashHook: hooks.buildCrashHook,
    };
  }

  private started(): Running {
    if (!this.running) throw new PackerError('NOT_READY', 'The packer daemon has not started.');
    return this.running;
  }
}

/** How long a stop asked for during the open waits for it (a 1M-file open takes ~20 s). */
const STOP_WHILE_OPENING_MS = 60_000;

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

/**
 * A throw's stack (its message when it has none), for the daemon log: one string per line, since the logger cuts
 * every string at 256 characters (a stack as one string lost every frame past the second).
 */
function errorStack(error: unknown): string[] {
  return (error instanceof Error ? (error.stack ?? error.message) : String(error)).split('\n');
}
