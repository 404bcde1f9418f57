import { remoteCacheHealth, toolSandboxState, type ProjectConfig } from '@packer/core';
import { PROTOCOL_VERSION, type MethodResult } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import { DAEMON_VERSION } from '../version.js';
import type { DaemonRuntime } from './daemon-services.js';

type DaemonMethod = 'daemon.hello' | 'daemon.health' | 'daemon.ready' | 'daemon.shutdown';

/**
 * What `daemon.*` reports from. A started daemon passes its services; a daemon still opening its project passes the
 * config it validated, its event log, and revision 0 with an empty lane (`Daemon.start`: it is live, not ready).
 */
export interface DaemonFacts {
  workspace: { root: string; config: ProjectConfig; snapshot: { projectName: string; revision: number } };
  lane: { depth: number; runningOperation: string | null };
  events: { generation: number; lastCursor: string };
  runtime: DaemonRuntime;
}

/** The methods a daemon answers while it opens its project; every other request waits until it is ready. */
export const OPENING_METHODS: ReadonlySet<string> = new Set<DaemonMethod>([
  'daemon.hello',
  'daemon.health',
  'daemon.shutdown',
]);

/** The daemon process itself: who it is (hello), how it is (health), and stopping it. */
export function createDaemonHandlers({
  workspace,
  lane,
  events,
  runtime,
}: DaemonFacts): Pick<MethodHandlers<ConnectionContext>, DaemonMethod> {
  return {
    'daemon.hello': (params, context) => {
      context.actor = { client: params.client, ...(params.pid !== undefined ? { pid: params.pid } : {}) };
      return helloResult({ workspace, events, runtime });
    },
    'daemon.health': () => {
      const webSocket = runtime.webSocketEndpoint;
      return {
        live: true,
        ready: runtime.ready,
        revision: workspace.snapshot.revision,
        laneDepth: lane.depth,
        runningOperation: lane.runningOperation,
        watcher: runtime.watcherHealth(),
        toolSandbox: toolSandboxState(workspace.config),
        uptimeMs: Date.now() - runtime.startedAt.getTime(),
        pid: process.pid,
        generation: events.generation,
        connections: runtime.connectionCount,
        subscribers: runtime.subscriberCount,
        ...(webSocket ? { websocket: { url: webSocket.url, port: webSocket.port } } : {}),
        storage: runtime.storageHealth(),
        ...remoteCacheField(workspace.root, workspace.config.remoteCache),
      };
    },
    // Never among OPENING_METHODS: a daemon still opening answers it once it is ready.
    'daemon.ready': () => ({ revision: workspace.snapshot.revision, cursor: events.lastCursor }),
    'daemon.shutdown': (params) => {
      setImmediate(() => void runtime.shutdown(params.reason ?? 'shutdown requested'));
      return { stopping: true as const };
    },
  };
}

/** What `daemon.hello` answers; a daemon that was started by a client also sends it to that client when live. */
export function helloResult({
  workspace,
  events,
  runtime,
}: Pick<DaemonFacts, 'workspace' | 'events' | 'runtime'>): MethodResult<'daemon.hello'> {
  return {
    protocolVersion: PROTOCOL_VERSION,
    daemonVersion: DAEMON_VERSION,
    projectRoot: workspace.root,
    projectName: workspace.snapshot.projectName,
    pid: process.pid,
    generation: events.generation,
    cursor: events.lastCursor,
    startedAt: runtime.startedAt.toISOString(),
  };
}

function remoteCacheField(
  root: string,
  config: Parameters<typeof remoteCacheHealth>[1],
): { remoteCache?: NonNullable<ReturnType<typeof remoteCacheHealth>> } {
  const health = remoteCacheHealth(root, config);
  return health ? { remoteCache: health } : {};
}
