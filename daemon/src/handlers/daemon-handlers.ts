import { randomUUID } from 'node:crypto';
import { toolSandboxState } from '@packer/core';
import { PackerError, PROTOCOL_VERSION, formatCursor, parseCursor, type EventEnvelope } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { Daemon } from '../daemon.js';
import { subscribeToLog } from '../events/index.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import { DAEMON_VERSION } from '../version.js';
import { createBuildHandlers } from './build-handlers.js';
import { describeMutation } from './describe-mutation.js';
import { eventNotification, notification } from './event-notification.js';
import { getAsset, listAssets, listDiagnostics, snapshotSummary } from './read-handlers.js';

/** The contract's methods, implemented over one daemon. Handlers translate; the workspace decides. */
export function createDaemonHandlers(daemon: Daemon): MethodHandlers<ConnectionContext> {
  const state = async (sync: boolean | undefined) => {
    if (sync) await daemon.diskSync?.sync();
    return daemon.workspace.state;
  };
  const root = () => daemon.workspace.root;
  return {
    'daemon.hello': (params, context) => {
      context.actor = { client: params.client, ...(params.pid !== undefined ? { pid: params.pid } : {}) };
      return {
        protocolVersion: PROTOCOL_VERSION,
        daemonVersion: DAEMON_VERSION,
        projectRoot: root(),
        projectName: daemon.workspace.snapshot.projectName,
        pid: process.pid,
        generation: daemon.events.generation,
        cursor: daemon.events.lastCursor,
        startedAt: daemon.startedAt.toISOString(),
      };
    },
    'daemon.health': () => ({
      live: true,
      ready: daemon.ready,
      revision: daemon.workspace.snapshot.revision,
      laneDepth: daemon.lane.depth,
      runningOperation: daemon.lane.runningOperation,
      watcher: daemon.diskSync?.watcherHealth ?? { backend: 'none', state: 'off' },
      toolSandbox: toolSandboxState(daemon.workspace.config),
      uptimeMs: Date.now() - daemon.startedAt.getTime(),
      pid: process.pid,
      generation: daemon.events.generation,
      connections: daemon.connectionCount,
      subscribers: daemon.subscriberCount,
      ...(daemon.webSocketEndpoint ? { websocket: { url: daemon.webSocketEndpoint.url, port: daemon.webSocketEndpoint.port } } : {}),
      storage: daemon.storageHealth(),
    }),
    'daemon.shutdown': (params) => {
      setImmediate(() => void daemon.shutdown(params.reason ?? 'shutdown requested'));
      return { stopping: true as const };
    },
    'snapshot.summary': async (params) => snapshotSummary(await state(params.sync)),
    'snapshot.get': async (params) => (await state(params.sync)).snapshot,
    'assets.list': async (params) => listAssets(await state(params.sync), root(), params),
    'assets.get': async (params) => getAsset(await state(params.sync), root(), params.ref),
    'diagnostics.list': async (params) => listDiagnostics(await state(params.sync), params),
    'mutation.preview': async (params) => {
      await state(params.sync);
      return daemon.workspace.preview(params.mutation);
    },
    'mutation.apply': async (params, context) => {
      const { mutation, expectedRevision, idempotencyKey } = params;
      const { done } = daemon.lane.enqueue({
        kind: mutation.type,
        summary: describeMutation(mutation),
        actor: context.actor,
        run: async (operation) => {
          try {
            const result = await daemon.workspace.apply(mutation, {
              expectedRevision,
              idempotencyKey,
              operationId: operation.operationId,
              actor: context.actor,
              signal: operation.signal,
            });
            return { revisionAfter: result.revisionAfter, result };
          } finally {
            daemon.publishState(mutation.type);
          }
        },
      });
      return done;
    },
    'operations.list': () => ({ items: daemon.lane.list() }),
    'operations.get': (params) => daemon.lane.get(params.operationId),
    'operations.cancel': (params) => ({ operationId: params.operationId, state: daemon.lane.cancel(params.operationId) }),
    'events.subscribe': (params, context) => subscribe(daemon, context, params.since),
    'events.unsubscribe': (params, context) => {
      const close = context.subscriptions.get(params.subscriptionId);
      if (!close) throw new PackerError('NOT_FOUND', `No subscription ${params.subscriptionId} on this connection.`, { subscriptionId: params.subscriptionId });
      close();
      context.subscriptions.delete(params.subscriptionId);
      return { ok: true as const };
    },
    ...createBuildHandlers(daemon),
    'audit.list': (params) => ({ items: daemon.workspace.audit.list({ ...(params.limit ? { limit: params.limit } : {}), ...(params.operationId ? { operationId: params.operationId } : {}) }) }),
  };
}

function subscribe(daemon: Daemon, context: ConnectionContext, since: string | undefined) {
  const log = daemon.events;
  const start = since ?? log.lastCursor;
  const { generation, seq } = parseCursor(start);
  // The schema only checks the digits: a seq past 2^53 is not a position the log can look up.
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(generation)) {
    throw new PackerError('INVALID_PARAMS', `Invalid params for events.subscribe: "since" ${JSON.stringify(start)} is not a cursor this daemon handed out.`, {
      issues: [{ path: 'since', message: 'generation and seq must be safe integers' }],
      hint: 'Subscribe without `since`, or with a cursor from an event.',
    });
  }
  const status = log.cursorStatus(generation, seq);
  if (status !== 'ok') {
    const where = {
      // The log was reset (`.packer/` removed) since the client got its cursor.
      'past-end': `is past the newest event (${log.lastCursor}); the event log was reset`,
      rotated: 'is older than the oldest event the log still holds',
      // A daemon stopped while a full disk held its newest events; the next one numbered its own events alike.
      reused: `names an event the log no longer holds (daemon generation ${generation} stopped before writing it); its number now belongs to another event`,
    }[status];
    throw new PackerError('CURSOR_EXPIRED', `Cursor ${start} ${where}.`, {
      cursor: start,
      oldestCursor: formatCursor(log.generation, log.oldestSeq),
      currentCursor: log.lastCursor,
      hint: 'Reload the snapshot with snapshot.get, then subscribe without `since`.',
    });
  }
  const subscriptionId = `sub_${randomUUID()}`;
  const { transport } = context;
  // Start after the response is on its way, so the client knows the id before the first event arrives.
  setImmediate(() => {
    if (transport.closed) return;
    const sink = {
      send: (event: EventEnvelope) => transport.send(eventNotification(subscriptionId, event)),
      onDrain: (listener: () => void) => transport.onDrain(listener),
    };
    const subscription = subscribeToLog(log, start, sink, {
      onOverflow: (overflow) => {
        context.subscriptions.delete(subscriptionId);
        transport.send(notification('events.closed', { subscriptionId, ...overflow }));
      },
    });
    if ('expired' in subscription) {
      transport.send(notification('events.closed', { subscriptionId, code: 'CURSOR_EXPIRED', reason: 'The log rotated past the cursor before replay started.', resumeCursor: start }));
      return;
    }
    context.subscriptions.set(subscriptionId, subscription.close);
  });
  context.subscriptions.set(subscriptionId, () => undefined);
  return {
    subscriptionId,
    cursor: log.lastCursor,
    generation: log.generation,
    restarted: since !== undefined && generation !== log.generation,
    replayed: Math.max(0, log.lastSeq - seq),
  };
}
