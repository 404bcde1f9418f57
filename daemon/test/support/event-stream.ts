import { parseCursor, TERMINAL_EVENT_TYPES, type EventEnvelope } from '@packer/core/contract';

/** The seq part of a cursor: the global, gap-free position in the project's event log. */
export function seqOf(event: EventEnvelope | string): number {
  return parseCursor(typeof event === 'string' ? event : event.cursor).seq;
}

export function isTerminal(event: EventEnvelope): boolean {
  return TERMINAL_EVENT_TYPES.has(event.type);
}

/** Describes the first place where seqs do not go up by exactly one, or undefined when they all do. */
export function findGap(events: readonly EventEnvelope[], afterSeq?: number): string | undefined {
  let previous = afterSeq;
  for (const event of events) {
    const seq = seqOf(event);
    if (previous !== undefined && seq !== previous + 1) return `seq ${seq} follows ${previous}`;
    previous = seq;
  }
  return undefined;
}

/** Events grouped by operation, each in delivery order. */
export function byOperation(events: readonly EventEnvelope[]): Map<string, EventEnvelope[]> {
  const operations = new Map<string, EventEnvelope[]>();
  for (const event of events) {
    if (event.operationId === undefined) continue;
    let list = operations.get(event.operationId);
    if (!list) operations.set(event.operationId, (list = []));
    list.push(event);
  }
  return operations;
}

/**
 * Records a subscription's events and resolves waits on them. A wait tests each new event once, so a stream of
 * tens of thousands of events stays linear (EventRecorder re-runs its predicate over all events on each one).
 */
export class StreamRecorder {
  readonly events: EventEnvelope[] = [];
  private waiters: { match: (event: EventEnvelope) => boolean; resolve: (event: EventEnvelope) => void }[] = [];

  readonly onEvent = (event: EventEnvelope): void => {
    this.events.push(event);
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.match(event)) return true;
      waiter.resolve(event);
      return false;
    });
  };

  /** Resolves with the first recorded event (past or future) that matches; rejects after `timeoutMs`. */
  waitFor(match: (event: EventEnvelope) => boolean, what: string, timeoutMs = 20_000): Promise<EventEnvelope> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        const last = this.events.at(-1);
        reject(
          new Error(
            `timed out waiting for ${what}; ${this.events.length} events seen, last ${last ? `${last.cursor} ${last.type}` : 'none'}`,
          ),
        );
      }, timeoutMs);
      const done = (event: EventEnvelope): void => {
        clearTimeout(timer);
        resolve(event);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Resolves once an event at or past `cursor` was recorded. */
  waitForCursor(cursor: string, timeoutMs?: number): Promise<EventEnvelope> {
    const target = seqOf(cursor);
    return this.waitFor((event) => seqOf(event) >= target, `cursor ${cursor}`, timeoutMs);
  }

  terminalOf(operationId: string, timeoutMs?: number): Promise<EventEnvelope> {
    return this.waitFor(
      (event) => event.operationId === operationId && isTerminal(event),
      `terminal event of ${operationId}`,
      timeoutMs,
    );
  }

  /** Events strictly after `cursor`, up to and including `until` when given. */
  between(cursor: string, until?: string): EventEnvelope[] {
    const from = seqOf(cursor);
    const to = until === undefined ? Number.POSITIVE_INFINITY : seqOf(until);
    return this.events.filter((event) => seqOf(event) > from && seqOf(event) <= to);
  }
}
