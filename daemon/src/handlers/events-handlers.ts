import { randomUUID } from 'node:crypto';
import { PackerError, parseCursor, type EventEnvelope, type MethodResult } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import { subscribeToLog, type EventLog } from '../events/index.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';
import { eventNotification, notification } from './event-notification.js';

type EventsMethod = 'events.subscribe' | 'events.unsubscribe';

/** Subscriptions to the event log: replay from a cursor, then follow live, per connection. */
export function createEventsHandlers({
  events,
}: Pick<DaemonServices, 'events'>): Pick<MethodHandlers<ConnectionContext>, EventsMethod> {
  return {
    'events.subscribe': (params, context) =>
      subscribe(
        events,
        context,
        params.since ??
          (params.last === undefined ? undefined : events.replayCursorFrom(events.lastSeq - params.last + 1)),
        params.since !== undefined,
      ),
    'events.unsubscribe': (params, context) => {
      const close = context.subscriptions.get(params.subscriptionId);
      if (!close)
        throw new PackerError('NOT_FOUND', `No subscription ${params.subscriptionId} on this connection.`, {
          subscriptionId: params.subscriptionId,
        });
      close();
      context.subscriptions.delete(params.subscriptionId);
      return { ok: true as const };
    },
  };
}

/** `since` is the client's cursor (`fromClient`) or one made here for `last`. */
function subscribe(
  log: EventLog,
  context: ConnectionContext,
  since: string | undefined,
  fromClient: boolean,
): MethodResult<'events.subscribe'> {
  const start = since ?? log.lastCursor;
  const { generation, seq } = parseCursor(start);
  // The schema only checks the digits: a seq past 2^53 is not a position the log can look up.
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(generation)) {
    throw new PackerError(
      'INVALID_PARAMS',
      `Invalid params for events.subscribe: "since" ${JSON.stringify(start)} is not a cursor this daemon handed out.`,
      {
        issues: [{ path: 'since', message: 'generation and seq must be safe integers' }],
        hint: 'Subscribe without `since`, or with a cursor from an event.',
      },
    );
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
      // The oldest held event's own cursor (its generation may be an earlier daemon's): resume after its seq - 1.
      oldestCursor: log.oldestCursor,
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
      transport.send(
        notification('events.closed', {
          subscriptionId,
          code: 'CURSOR_EXPIRED',
          reason: 'The log rotated past the cursor before replay started.',
          resumeCursor: start,
        }),
      );
      return;
    }
    context.subscriptions.set(subscriptionId, subscription.close);
  });
  context.subscriptions.set(subscriptionId, () => undefined);
  return {
    subscriptionId,
    cursor: log.lastCursor,
    generation: log.generation,
    restarted: fromClient && generation !== log.generation,
    replayed: Math.max(0, log.lastSeq - seq),
    since: start,
  };
}
