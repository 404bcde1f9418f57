import { parseCursor, type Cursor } from '@packer/core/contract';
import type { EventLog, ReadSinceResult } from './event-log.js';
import { SubscriberQueue, type EventSink, type SubscriberQueueOptions } from './subscriber-queue.js';

export interface LogSubscriptionOptions extends Omit<SubscriberQueueOptions, 'startCursor' | 'onIdle'> {
  /** Events read from the log per replay page. Default 256. */
  pageSize?: number;
}

export type LogSubscription =
  | {
      queue: SubscriberQueue;
      /** Held events after `since` at subscription time, replayed before live ones. */
      replayed: number;
      /** Stops following the log and drops what is queued. */
      close(): void;
    }
  | { expired: true; oldestSeq: number };

/**
 * Replays the log after `since`, then follows it live, all through one `SubscriberQueue`.
 *
 * The replay is paged: the next page is read only once the previous one has been handed to the sink, so a
 * subscriber far behind (one that just overflowed and resubscribed, say) never holds more than a page in
 * memory and cannot overflow on history alone. Reads and appends are synchronous, so the page that reaches
 * `lastSeq` and the `onAppend` registration happen in one tick: no event falls between replay and live.
 * If rotation deletes events a slow replay still needs, the queue is aborted with CURSOR_EXPIRED.
 */
export function subscribeToLog(
  log: EventLog,
  since: Cursor,
  sink: EventSink,
  options: LogSubscriptionOptions,
): LogSubscription {
  const pageSize = options.pageSize ?? 256;
  let afterSeq = parseCursor(since).seq;
  const first = log.readSince(afterSeq, { limit: pageSize });
  if ('expired' in first) return first;
  // Seqs are gap-free, so the backlog size is known without reading it.
  const replayed = log.lastSeq - afterSeq;

  let pending: ReadSinceResult | undefined = first;
  let live = false;
  let feeding = false;
  let stopFollowing: (() => void) | undefined;
  const close = (): void => {
    stopFollowing?.();
    queue.close();
  };

  const queue = new SubscriberQueue(sink, {
    ...options,
    startCursor: since,
    onOverflow: (overflow) => {
      stopFollowing?.();
      options.onOverflow(overflow);
    },
    onIdle: () => feed(),
  });

  function feed(): void {
    // Pushing a page can empty the queue and call back here; the loop below picks that up instead.
    if (feeding) return;
    feeding = true;
    try {
      while (!live && !queue.closed) {
        const page = pending ?? log.readSince(afterSeq, { limit: pageSize });
        pending = undefined;
        if ('expired' in page) {
          queue.abort(
            'CURSOR_EXPIRED',
            `the log dropped events after ${queue.resumeCursor} before they could be replayed (oldest held seq ${page.oldestSeq})`,
          );
          return;
        }
        const last = page.events.at(-1);
        if (last !== undefined) afterSeq = parseCursor(last.cursor).seq;
        if (last === undefined || afterSeq >= log.lastSeq) {
          live = true;
          stopFollowing = log.onAppend((event) => queue.push(event));
        }
        for (const event of page.events) queue.push(event);
        // Wait for onIdle unless the sink already took the whole page.
        if (queue.queued > 0) return;
      }
    } finally {
      feeding = false;
    }
  }

  feed();
  return { queue, replayed, close };
}
