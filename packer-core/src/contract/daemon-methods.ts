import { z } from 'zod';
import { Cursor } from './events.js';
import { RemoteCacheHealth, StorageWarning, ToolSandboxState, WatcherState } from './health-schema.js';
import { method } from './method-definition.js';

/** The daemon itself: the handshake, health and shutdown. */
export const DaemonMethods = {
  'daemon.hello': method(
    z.object({
      /** Name of the client (`cli`, `studio`, …), copied into every audit record of this connection: at most 128
       * characters. */
      client: z.string().min(1).max(128),
      protocolVersion: z.number().int(),
      pid: z.number().int().optional(),
    }),
    z.object({
      protocolVersion: z.number().int(),
      daemonVersion: z.string(),
      projectRoot: z.string(),
      projectName: z.string(),
      pid: z.number().int(),
      generation: z.number().int(),
      /** The newest event cursor: subscribe with it to follow only what happens next. */
      cursor: Cursor,
      startedAt: z.string(),
    }),
    'Introduce the client; compare protocol versions. Call first on every connection.',
  ),
  'daemon.health': method(
    z.object({}),
    z.object({
      live: z.boolean(),
      /** Initial scan and journal recovery are done (`daemon.ready` answers then). */
      ready: z.boolean(),
      /** The snapshot's revision; 0 while not ready. */
      revision: z.number().int(),
      laneDepth: z.number().int(),
      runningOperation: z.string().nullable(),
      watcher: WatcherState,
      /** The sandbox external tools run in, with a warning when they run without one. */
      toolSandbox: ToolSandboxState,
      uptimeMs: z.number().int(),
      pid: z.number().int(),
      generation: z.number().int(),
      connections: z.number().int(),
      subscribers: z.number().int(),
      /** The loopback WebSocket listener, when it is on (its token is in `.packer/ws-token`, owner-only). */
      websocket: z.object({ url: z.string(), port: z.number().int() }).optional(),
      /**
       * The daemon's own files: `degraded` while some cannot be written (the daemon keeps serving, holds what it
       * can in memory and retries); the warnings clear once the writes go through. Always sent by this daemon.
       */
      storage: z.object({ state: z.enum(['ok', 'degraded']), warnings: z.array(StorageWarning) }).optional(),
      /** The remote cache, when `remoteCache` is configured: a `degraded` or `paused` state is the `remote-cache`
       * warning. */
      remoteCache: RemoteCacheHealth.optional(),
    }),
    'Liveness and readiness of the daemon.',
  ),
  'daemon.ready': method(
    z.object({}),
    z.object({
      /** The revision of the first snapshot. */
      revision: z.number().int(),
      /** The newest event cursor once ready (hello's, taken while the daemon opened, predates its start-up events). */
      cursor: Cursor,
    }),
    'Answers once the daemon is ready: its project is open (journal recovery, first scan, first snapshot). A daemon is live (answers hello, health and shutdown) before it is ready; every other request waits for it.',
  ),
  'daemon.shutdown': method(
    z.object({ reason: z.string().optional() }),
    z.object({ stopping: z.literal(true) }),
    'Finish or cancel the running operation, flush logs, remove socket and lock, exit.',
  ),
} as const;
