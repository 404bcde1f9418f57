import { remoteCacheHealth, toolSandboxState } from '@packer/core';
import { PROTOCOL_VERSION } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import { DAEMON_VERSION } from '../version.js';
import type { DaemonServices } from './daemon-services.js';

type DaemonMethod = 'daemon.hello' | 'daemon.health' | 'daemon.shutdown';

/** The daemon process itself: who it is (hello), how it is (health), and stopping it. */
export function createDaemonHandlers({
  workspace,
  lane,
  events,
  runtime,
}: Pick<DaemonServices, 'workspace' | 'lane' | 'events' | 'runtime'>): Pick<
  MethodHandlers<ConnectionContext>,
  DaemonMethod
> {
  return {
    'daemon.hello': (params, context) => {
      context.actor = { client: params.client, ...(params.pid !== undefined ? { pid: params.pid } : {}) };
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
    'daemon.shutdown': (params) => {
      setImmediate(() => void runtime.shutdown(params.reason ?? 'shutdown requested'));
      return { stopping: true as const };
    },
  };
}

function remoteCacheField(
  root: string,
  config: Parameters<typeof remoteCacheHealth>[1],
): { remoteCache?: NonNullable<ReturnType<typeof remoteCacheHealth>> } {
  const health = remoteCacheHealth(root, config);
  return health ? { remoteCache: health } : {};
}
