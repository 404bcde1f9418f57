import { EventTypes, type Cursor, type ErrorCode, type EventEnvelope } from '@packer/core/contract';

/**
 * Where a subscriber's events go: a socket in the daemon, a plain object in tests.
 * Mirrors `socket.write()` / `'drain'`: `send` always takes the event; `false` only says "hold off until drain".
 */
export interface EventSink {
  /** Hands one event to the transport. Returns false when its buffer is full; send nothing more until drain. */
  send(event: EventEnvelope): boolean;
  /** Registers a listener for "the transport can take more". May return a function that unregisters it. */
  onDrain(listener: () => void): (() => void) | void;
}

/** Why a queue gave up on its subscriber; shaped to go straight into an `events.closed` notification. */
export interface QueueOverflow {
  /** SUBSCRIBER_OVERFLOW: too many undelivered events. CURSOR_EXPIRED: a replay fell behind log rotation. */
  code: Extract<ErrorCode, 'SUBSCRIBER_OVERFLOW' | 'CURSOR_EXPIRED'>;
  reason: string;
  /** Cursor of the last event handed to the sink (the start cursor if none was): subscribe again with it as `since` to
   * lose nothing. */
  resumeCursor: Cursor;
}

export interface SubscriberQueueOptions {
  /** The cursor the subscriber already has, i.e. the one just before the first event it will be pushed. */
  startCursor: Cursor;
  /** Queued events past which queued `progress` events are coalesced. Default 1000. */
  softLimit?: number;
  /** Queued must-deliver (non-progress) events past which the subscriber is dropped. Default 10,000. */
  hardLimit?: number;
  /** Called once when the queue gives up on a subscriber; the queue is closed by then. */
  onOverflow: (overflow: QueueOverflow) => void;
  /** Called whenever everything queued has been handed to a sink that can take more (a replay feeds its next page
   * here). */
  onIdle?: () => void;
}

interface Node {
  event: EventEnvelope;
  /** Set for a `progress` event that may be superseded by a newer one of the same operation. */
  coalesceKey: string | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

/**
 * One subscriber's outbound queue. Pushing never waits and is O(1) amortized, so a slow subscriber cannot
 * stall the log or its other subscribers; the sink's own backpressure decides when this one is slow.
 *
 * Coalescing: once more than `softLimit` events are queued, a queued `progress` event is removed when a newer
 * `progress` of the same operation arrives; the newer one takes its own place at the back (latest value wins).
 * Nothing is ever reordered, so the delivered stream is always a subsequence of the pushed one: cursors stay
 * increasing (a client's last cursor is always a safe resume point), every event keeps its place relative to
 * its operation's lifecycle events, and a progress pushed before its operation's terminal event is never
 * delivered after it. Coalescing stays on until delivery brings the queue back to half the soft limit: a stalled
 * subscriber keeps at most one progress per operation, and the O(n) pass that starts coalescing is not repeated
 * on every push around the threshold (re-entering takes softLimit/2 pushes, so pushes stay O(1) amortized).
 *
 * Every non-progress event, and a progress without an `operationId` (it cannot be attributed), is
 * must-deliver: never dropped. Past `hardLimit` of them queued, the queue closes and reports the cursor to
 * resume from; the log still holds everything after it.
 */
export class SubscriberQueue {
  readonly #sink: EventSink;
  readonly #softLimit: number;
  readonly #hardLimit: number;
  readonly #onOverflow: (overflow: QueueOverflow) => void;
  readonly #onIdle: (() => void) | undefined;
  readonly #stopDrain: (() => void) | void;
  // operationId -> its newest queued progress event.
  readonly #latestProgress = new Map<string, Node>();
  #head: Node | undefined;
  #tail: Node | undefined;
  #queued = 0;
  #queuedMustDeliver = 0;
  #delivered = 0;
  #coalesced = 0;
  #coalescing = false;
  #writable = true;
  #drains = 0;
  #flushing = false;
  #closed = false;
  #resumeCursor: Cursor;

  constructor(sink: EventSink, options: SubscriberQueueOptions) {
    this.#sink = sink;
    this.#softLimit = positiveInteger('softLimit', options.softLimit ?? 1000);
    this.#hardLimit = positiveInteger('hardLimit', options.hardLimit ?? 10_000);
    this.#onOverflow = options.onOverflow;
    this.#onIdle = options.onIdle;
    this.#resumeCursor = options.startCursor;
    this.#stopDrain = sink.onDrain(() => {
      this.#drains += 1;
      this.#writable = true;
      this.#flush();
    });
  }

  /** Events handed to the sink so far. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Progress events dropped because a newer one of the same operation superseded them. */
  get coalesced(): number {
    return this.#coalesced;
  }

  /** Events waiting for the sink. */
  get queued(): number {
    return this.#queued;
  }

  /** Must-deliver events waiting for the sink (what `hardLimit` bounds). */
  get queuedMustDeliver(): number {
    return this.#queuedMustDeliver;
  }

  /** Cursor of the last event handed to the sink, or the start cursor. */
  get resumeCursor(): Cursor {
    return this.#resumeCursor;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues the event and sends what the sink will take now. Events must be pushed in cursor order. */
  push(event: EventEnvelope): void {
    if (this.#closed) return;
    const coalesceKey = event.type === EventTypes.PROGRESS ? event.operationId : undefined;
    if (coalesceKey === undefined) {
      if (this.#queuedMustDeliver >= this.#hardLimit) {
        this.#overflow(
          'SUBSCRIBER_OVERFLOW',
          `subscriber is too slow: ${this.#queuedMustDeliver} undelivered events are queued (hard limit ${this.#hardLimit}); subscribe again with since=${this.#resumeCursor}`,
        );
        return;
      }
      this.#queuedMustDeliver += 1;
    } else {
      const superseded = this.#coalescing ? this.#latestProgress.get(coalesceKey) : undefined;
      if (superseded !== undefined) {
        this.#unlink(superseded);
        this.#coalesced += 1;
      }
    }
    const node: Node = { event, coalesceKey, prev: this.#tail, next: undefined };
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#queued += 1;
    if (coalesceKey !== undefined) this.#latestProgress.set(coalesceKey, node);

    if (!this.#coalescing && this.#queued > this.#softLimit) this.#startCoalescing();
    this.#flush();
  }

  /** Stops delivering and drops what is queued. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#head = undefined;
    this.#tail = undefined;
    this.#queued = 0;
    this.#queuedMustDeliver = 0;
    this.#latestProgress.clear();
    if (typeof this.#stopDrain === 'function') this.#stopDrain();
  }

  /** Closes the queue and tells the owner why and where to resume from. */
  abort(code: QueueOverflow['code'], reason: string): void {
    this.#overflow(code, reason);
  }

  #overflow(code: QueueOverflow['code'], reason: string): void {
    if (this.#closed) return;
    this.close();
    this.#onOverflow({ code, reason, resumeCursor: this.#resumeCursor });
  }

  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (;;) {
        while (this.#writable && this.#head !== undefined) {
          const node = this.#head;
          this.#unlink(node);
          if (this.#coalescing && this.#queued <= this.#softLimit / 2) this.#coalescing = false;
          this.#resumeCursor = node.event.cursor;
          this.#delivered += 1;
          const drainsBefore = this.#drains;
          const accepted = this.#sink.send(node.event);
          // A drain reported from inside `send` already cancels its own `false`.
          this.#writable = accepted || this.#drains !== drainsBefore;
        }
        if (this.#closed || !this.#writable || this.#onIdle === undefined) return;
        // onIdle may push more (the next replay page); keep sending if it did.
        this.#onIdle();
        if (this.#head === undefined) return;
      }
    } finally {
      this.#flushing = false;
    }
  }

  // One pass from newest to oldest: keep each operation's newest progress, drop the older ones.
  #startCoalescing(): void {
    this.#coalescing = true;
    const seen = new Set<string>();
    for (let node = this.#tail; node !== undefined;) {
      const prev = node.prev;
      if (node.coalesceKey !== undefined) {
        if (seen.has(node.coalesceKey)) {
          this.#unlink(node);
          this.#coalesced += 1;
        } else {
          seen.add(node.coalesceKey);
        }
      }
      node = prev;
    }
  }

  #unlink(node: Node): void {
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.#queued -= 1;
    if (node.coalesceKey === undefined) this.#queuedMustDeliver -= 1;
    else if (this.#latestProgress.get(node.coalesceKey) === node) this.#latestProgress.delete(node.coalesceKey);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Expected the \`${name}\` option to be a positive integer, got ${String(value)}`);
  }
  return value;
}
