import { mkdirSync } from 'node:fs';
import {
  formatCursor,
  LIFECYCLE_EVENT_TYPES,
  parseCursor,
  TERMINAL_EVENT_TYPES,
  type EventEnvelope,
  type EventInput,
  type EventType,
  type StorageWarning,
} from '@packer/core/contract';
import { resolveEventLogOptions, type EventLogOptions } from './event-log-options.js';
import { EventTail } from './event-tail.js';
import { readGeneration, writeGeneration } from './generation-file.js';
import { HeldEvents } from './held-events.js';
import { recoverSegments, type EventLogRecovery } from './segment-recovery.js';
import { readSegmentAfter } from './segment-files.js';
import { SegmentWriter } from './segment-writer.js';

export type { EventLogOptions } from './event-log-options.js';
export type { EventLogRecovery } from './segment-recovery.js';

/** What `append` takes: the payload typed by the event type; the log assigns the cursor, and the time unless given. */
export type EventLogInput<T extends EventType = EventType> = EventInput<T>;

export type ReadSinceResult = { events: EventEnvelope[] } | { expired: true; oldestSeq: number };

/**
 * Whether a client's cursor still names a place in this log: `ok`; `rotated` (older than the oldest event held);
 * `past-end` (newer than the newest: the log was reset); `reused` (its seq now holds another daemon's event).
 */
export type CursorStatus = 'ok' | 'rotated' | 'past-end' | 'reused';

/**
 * The project's persisted event log: append-only NDJSON segment files rotated by size, a generation counter
 * bumped on every open (one daemon start = one generation), and an in-memory tail for fast replay.
 * One writer per directory; the daemon's project lock guarantees that.
 *
 * Durability: each record is written synchronously before listeners hear of it ("persist before publishing"),
 * so it survives a crash of the process. It is not fsynced per record: a power loss may lose the last few.
 *
 * A disk that refuses a write (full, say) does not stop the log: the event is still numbered, kept in memory,
 * published and served to replays, and written behind the ones before it once the disk takes writes again
 * (every append and `flushPending` retries). Meanwhile `writeProblem` says what is held back; only events that
 * overflow `pendingBytes`, or that are still held when the log closes, are lost.
 *
 * Events lost that way were numbered and published, so the next daemon hands out their seqs again. The cursor
 * carries the generation that numbered it, so `cursorStatus` tells the two apart: a cursor is honoured only while
 * the log holds, at its seq (or, past a gap, at the next seq held), an event of that same generation. A client
 * holding a lost event's cursor is told its cursor expired and resyncs, instead of silently skipping the events
 * that now carry those seqs.
 */
export class EventLog {
  readonly #dir: string;
  readonly #generation: number;
  readonly #tail: EventTail;
  readonly #writer: SegmentWriter;
  readonly #held: HeldEvents;
  readonly #listeners = new Set<(event: EventEnvelope) => void>();
  readonly #onError: (error: unknown) => void;
  // operationId -> nothing: operations with a queued/started event and no terminal one yet, in first-seen order.
  readonly #unterminated = new Set<string>();
  readonly #recovery: EventLogRecovery;
  #lastSeq: number;
  // Seq of the newest event when this generation began: cursors of this generation never name anything older.
  readonly #openedAtSeq: number;
  #closed = false;

  static open(dir: string, options: EventLogOptions = {}): EventLog {
    return new EventLog(dir, options);
  }

  private constructor(dir: string, options: EventLogOptions) {
    this.#dir = dir;
    const settings = resolveEventLogOptions(options);
    this.#onError = settings.onError;
    mkdirSync(dir, { recursive: true });
    this.#held = new HeldEvents(dir, settings.pendingBytes, this.#onError);

    // Rebuilds the tail and the operations left without a terminal event from every held segment.
    this.#tail = new EventTail(settings.tailSize);
    const recovered = recoverSegments(dir, (record) => {
      this.#track(record.event);
      this.#tail.push(record.seq, record.event);
    });
    this.#lastSeq = recovered.lastSeq;
    this.#openedAtSeq = recovered.lastSeq;
    this.#recovery = recovered.recovery;

    // Taking the max with the generations in the records keeps generations increasing even if the counter file was
    // lost.
    this.#generation = Math.max(readGeneration(dir), recovered.maxGeneration) + 1;
    writeGeneration(dir, this.#generation);

    // An empty newest segment (a crash right after rotation) can put lastSeq past the last record read.
    if (this.#tail.lastSeq !== this.#lastSeq) this.#tail.reset(this.#lastSeq);

    this.#writer = new SegmentWriter(dir, recovered.segments, this.#lastSeq + 1, settings);
  }

  get generation(): number {
    return this.#generation;
  }

  /** Seq of the newest event; 0 for a log that never held one. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Cursor of the newest event: what a subscriber that wants only new events passes as `since`. */
  get lastCursor(): string {
    return formatCursor(this.#generation, this.#lastSeq);
  }

  /** Seq of the oldest event still on disk; `lastSeq + 1` when none is. */
  get oldestSeq(): number {
    return this.#writer.segments[0]?.firstSeq ?? this.#lastSeq + 1;
  }

  /** The cursor of the oldest event still held (numbered by the generation that wrote it); else `lastCursor`. */
  get oldestCursor(): string {
    const page = this.#lastSeq >= this.oldestSeq ? this.readSince(this.oldestSeq - 1, { limit: 1 }) : undefined;
    const oldest = page && 'events' in page ? page.events[0] : undefined;
    return oldest?.cursor ?? this.lastCursor;
  }

  /**
   * A cursor that replays the log from event `firstSeq` on (from the oldest held event when that one was rotated
   * away): the seq before it, with the generation that numbered the first event it replays (see cursorStatus),
   * which after a restart is not this one. `lastCursor` when there is nothing to replay.
   */
  replayCursorFrom(firstSeq: number): string {
    const after = Math.max(firstSeq, this.oldestSeq) - 1;
    if (after >= this.#lastSeq) return this.lastCursor;
    const page = this.readSince(after, { limit: 1 });
    const first = 'events' in page ? page.events[0] : undefined;
    return first ? formatCursor(parseCursor(first.cursor).generation, after) : this.lastCursor;
  }

  get recovery(): EventLogRecovery {
    return { ...this.#recovery };
  }

  /**
   * Persists the event, then publishes it to `onAppend` listeners. If the disk refuses it, the event is held in
   * memory and still published (see the class comment); only appending to a closed log throws.
   */
  append<T extends EventType>(input: EventLogInput<T>): EventEnvelope {
    if (this.#closed) throw new Error(`EventLog at ${this.#dir} is closed; open it again to append`);
    const seq = this.#lastSeq + 1;
    // Built key by key so the stored line has a stable field order and no `undefined` holes.
    const event: EventEnvelope = {
      cursor: formatCursor(this.#generation, seq),
      type: input.type,
      time: input.time ?? new Date().toISOString(),
      ...(input.operationId === undefined ? {} : { operationId: input.operationId }),
      ...(input.sequence === undefined ? {} : { sequence: input.sequence }),
      payload: input.payload,
    };
    this.#held.hold(seq, event, `${JSON.stringify(event)}\n`);
    this.flushPending();
    this.#held.dropOverflow();
    this.#lastSeq = seq;
    this.#tail.push(seq, event);
    this.#track(event);

    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
    return event;
  }

  /** Writes the events held back by a refusing disk, oldest first. Never throws; returns whether none is left. */
  flushPending(): boolean {
    return this.#held.flush((held) => this.#writer.write(held.seq, held.line, held.bytes));
  }

  /** What is held back while the disk refuses writes; undefined while every event is on disk. */
  get writeProblem(): StorageWarning | undefined {
    return this.#held.writeProblem;
  }

  /** Calls `listener` synchronously after each append, in append order. Returns the unsubscribe function. */
  onAppend(listener: (event: EventEnvelope) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Events with seq > `seq`, oldest first, at most `limit` of them (page through a long replay by passing the
   * last seq received). Served from the in-memory tail when it reaches back far enough, else from disk.
   *
   * Expiry is decided by what is on disk, never by the tail, so the answer does not depend on the tail size or
   * on a restart: if event `seq + 1` was rotated away, the caller gets `{ expired, oldestSeq }` and must resync
   * from a snapshot. Hence `seq = 0` ("I have seen nothing") replays from the beginning only while event 1 is
   * still held; once anything was rotated away it is expired like any other stale cursor.
   * A `seq` past `lastSeq` belongs to a different (wiped) log, so it is reported expired as well.
   */
  readSince(seq: number, options: { limit?: number } = {}): ReadSinceResult {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`Expected \`seq\` to be a non-negative integer, got ${String(seq)}`);
    }
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (seq + 1 < this.oldestSeq || seq > this.#lastSeq) return { expired: true, oldestSeq: this.oldestSeq };
    const fromTail = this.#tail.since(seq, limit);
    if (fromTail !== undefined) return { events: fromTail };

    const events: EventEnvelope[] = [];
    for (const segment of this.#writer.segments) {
      if (segment.lastSeq <= seq) continue;
      if (events.length >= limit) break;
      for (const record of readSegmentAfter(segment.path, seq, limit - events.length)) events.push(record.event);
    }
    // Events the disk refused are newer than every segment, so they follow in order.
    for (const held of this.#held.events) {
      if (events.length >= limit) break;
      if (held.seq > seq) events.push(held.event);
    }
    return { events };
  }
  /**
   * Whether the cursor (`generation`, `seq`) a client holds still names a place in this log (see the class
   * comment): it did if this generation handed it out, or if the event the log holds at `seq` (or, when `seq`
   * itself is not held, the next one) was numbered by `generation`. The event after `seq` counts too, since a
   * daemon hands out `lastCursor` (its generation, the previous daemon's last seq) before its own first event.
   */
  cursorStatus(generation: number, seq: number): CursorStatus {
    if (seq > this.#lastSeq) return 'past-end';
    if (seq + 1 < this.oldestSeq) return 'rotated';
    if (generation === this.#generation && seq >= this.#openedAtSeq) return 'ok';
    const page = this.readSince(Math.max(seq, this.oldestSeq) - 1, { limit: 2 });
    if ('expired' in page) return 'rotated';
    const [first, second] = page.events;
    const candidates = first && seqOf(first) === seq ? [first, second] : [first];
    return candidates.some((event) => event !== undefined && parseCursor(event.cursor).generation === generation)
      ? 'ok'
      : 'reused';
  }

  /**
   * Operations that have a `queued` or `started` event but no terminal one, in the order they first appeared.
   * At open this reflects the segments still held, so a crashed daemon's operations can be ended with `failed`.
   */
  findUnterminated(): string[] {
    return [...this.#unterminated];
  }

  /** Writes what it can of the held-back events and closes. Never throws: held events that still fail are reported and
   * lost. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.flushPending()) {
      this.#onError(
        new Error(
          `event log closed with ${this.#held.events.length} events not written to ${this.#dir} (${this.#held.writeProblem?.errno ?? 'write failed'})`,
        ),
      );
    }
    this.#writer.close();
    this.#listeners.clear();
  }

  #track(event: EventEnvelope): void {
    if (event.operationId === undefined) return;
    if (TERMINAL_EVENT_TYPES.has(event.type)) this.#unterminated.delete(event.operationId);
    else if (LIFECYCLE_EVENT_TYPES.has(event.type)) this.#unterminated.add(event.operationId);
  }
}

function seqOf(event: EventEnvelope): number {
  return parseCursor(event.cursor).seq;
}
