import { appendFileSync, closeSync, ftruncateSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
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
import { EventTail } from './event-tail.js';
import { readGeneration, writeGeneration } from './generation-file.js';
import {
  forgetSegment,
  listSegmentFiles,
  readSegmentAfter,
  scanSegment,
  segmentFileName,
  truncateSegment,
  type SegmentInfo,
} from './segment-files.js';

export interface EventLogOptions {
  /** A segment is closed and a new one started once the next record would take it past this size. Default 4 MiB. */
  segmentBytes?: number;
  /** Segments kept on disk, the current one included; older ones are deleted. Default 8. */
  maxSegments?: number;
  /** Recent events kept in memory to serve replays without touching disk. Default 1024. */
  tailSize?: number;
  /**
   * Non-fatal trouble: an `onAppend` listener that threw (the append and the other listeners go on) or a rotated-out
   * segment that could not be deleted. Default: a process warning.
   */
  onError?: (error: unknown) => void;
  /**
   * Bytes of events kept in memory while the disk refuses them (a full disk), to be written in order once it
   * takes them again. Past this the oldest held events are given up, leaving a gap in the seqs on disk. Default 8 MiB.
   */
  pendingBytes?: number;
}

/** What `append` takes: the payload typed by the event type; the log assigns the cursor, and the time unless given. */
export type EventLogInput<T extends EventType = EventType> = EventInput<T>;

export type ReadSinceResult = { events: EventEnvelope[] } | { expired: true; oldestSeq: number };

/**
 * Whether a client's cursor still names a place in this log: `ok`; `rotated` (older than the oldest event held);
 * `past-end` (newer than the newest: the log was reset); `reused` (its seq now holds another daemon's event).
 */
export type CursorStatus = 'ok' | 'rotated' | 'past-end' | 'reused';

/** What `open` found and repaired; surfaced so the daemon can report it as a diagnostic. */
export interface EventLogRecovery {
  /** Bytes of a torn or corrupt end of the newest segment that were cut off (a crash mid-append). */
  truncatedBytes: number;
  /** Malformed lines found elsewhere and skipped. */
  corruptLines: number;
}

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
  readonly #segmentBytes: number;
  readonly #maxSegments: number;
  readonly #generation: number;
  readonly #tail: EventTail;
  readonly #segments: SegmentInfo[];
  readonly #listeners = new Set<(event: EventEnvelope) => void>();
  readonly #onError: (error: unknown) => void;
  // operationId -> nothing: operations with a queued/started event and no terminal one yet, in first-seen order.
  readonly #unterminated = new Set<string>();
  readonly #recovery: EventLogRecovery;
  #fd: number | undefined;
  #lastSeq: number;
  // Seq of the newest event when this generation began: cursors of this generation never name anything older.
  readonly #openedAtSeq: number;
  #closed = false;
  readonly #pendingLimit: number;
  // Numbered and published, not yet on disk: always newer than everything in the segments.
  readonly #pending: { seq: number; event: EventEnvelope; line: string; bytes: number }[] = [];
  #pendingBytes = 0;
  #droppedEvents = 0;
  #failure: StorageWarning | undefined;

  static open(dir: string, options: EventLogOptions = {}): EventLog {
    return new EventLog(dir, options);
  }

  private constructor(dir: string, options: EventLogOptions) {
    this.#dir = dir;
    this.#segmentBytes = positiveInteger('segmentBytes', options.segmentBytes ?? 4 * 1024 * 1024);
    this.#maxSegments = positiveInteger('maxSegments', options.maxSegments ?? 8);
    const tailSize = positiveInteger('tailSize', options.tailSize ?? 1024);
    this.#pendingLimit = positiveInteger('pendingBytes', options.pendingBytes ?? 8 * 1024 * 1024);
    this.#onError = options.onError ?? ((error) => process.emitWarning(`event log: ${String(error)}`));
    mkdirSync(dir, { recursive: true });

    // One pass over every held segment: recovers the last seq, the highest generation seen, the tail,
    // and the operations left without a terminal event.
    const recovered = { lastSeq: 0, maxGeneration: 0, truncatedBytes: 0, corruptLines: 0 };
    const files = listSegmentFiles(dir);
    this.#tail = new EventTail(tailSize);
    this.#segments = files.map((file, index) => {
      const scan = scanSegment(file.path);
      const isNewest = index === files.length - 1;
      let bytes = scan.totalBytes;
      if (isNewest && scan.validBytes < scan.totalBytes) {
        truncateSegment(file.path, scan.validBytes);
        recovered.truncatedBytes = scan.totalBytes - scan.validBytes;
        bytes = scan.validBytes;
      } else if (scan.validBytes < scan.totalBytes) {
        recovered.corruptLines += 1;
      }
      recovered.corruptLines += scan.corruptLines;
      for (const record of scan.records) {
        this.#track(record.event);
        recovered.maxGeneration = Math.max(recovered.maxGeneration, parseCursor(record.event.cursor).generation);
        this.#tail.push(record.seq, record.event);
      }
      const lastSeq = scan.records.at(-1)?.seq ?? file.firstSeq - 1;
      recovered.lastSeq = Math.max(recovered.lastSeq, lastSeq);
      return { path: file.path, firstSeq: file.firstSeq, lastSeq, bytes };
    });
    this.#lastSeq = recovered.lastSeq;
    this.#openedAtSeq = recovered.lastSeq;
    this.#recovery = { truncatedBytes: recovered.truncatedBytes, corruptLines: recovered.corruptLines };

    // Taking the max with the generations in the records keeps generations increasing even if the counter file was
    // lost.
    this.#generation = Math.max(readGeneration(dir), recovered.maxGeneration) + 1;
    writeGeneration(dir, this.#generation);

    // An empty newest segment (a crash right after rotation) can put lastSeq past the last record read.
    if (this.#tail.lastSeq !== this.#lastSeq) this.#tail.reset(this.#lastSeq);

    const newest = this.#segments.at(-1);
    if (newest === undefined) this.#startSegment(this.#lastSeq + 1);
    else this.#fd = openSync(newest.path, 'a');
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
    return this.#segments[0]?.firstSeq ?? this.#lastSeq + 1;
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
    const line = `${JSON.stringify(event)}\n`;
    this.#pending.push({ seq, event, line, bytes: Buffer.byteLength(line) });
    this.#pendingBytes += Buffer.byteLength(line);
    this.flushPending();
    this.#dropOverflow();
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
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      try {
        this.#write(next.seq, next.line, next.bytes);
      } catch (error) {
        this.#noteFailure(error);
        return false;
      }
      this.#pending.shift();
      this.#pendingBytes -= next.bytes;
    }
    if (this.#failure) {
      const { since } = this.#failure;
      const dropped = this.#droppedEvents;
      this.#failure = undefined;
      this.#droppedEvents = 0;
      this.#onError(
        new Error(
          `event log writes go through again (failing since ${since}${dropped ? `; ${dropped} events were lost` : ''})`,
        ),
      );
    }
    return true;
  }

  /** What is held back while the disk refuses writes; undefined while every event is on disk. */
  get writeProblem(): StorageWarning | undefined {
    return (
      this.#failure && {
        ...this.#failure,
        pending: this.#pending.length,
        ...(this.#droppedEvents > 0 ? { dropped: this.#droppedEvents } : {}),
      }
    );
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
    for (const segment of this.#segments) {
      if (segment.lastSeq <= seq) continue;
      if (events.length >= limit) break;
      for (const record of readSegmentAfter(segment.path, seq, limit - events.length)) events.push(record.event);
    }
    // Events the disk refused are newer than every segment, so they follow in order.
    for (const held of this.#pending) {
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
          `event log closed with ${this.#pending.length} events not written to ${this.#dir} (${this.#failure?.errno ?? 'write failed'})`,
        ),
      );
    }
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // nothing more to save
      }
    }
    this.#fd = undefined;
    this.#listeners.clear();
  }

  #track(event: EventEnvelope): void {
    if (event.operationId === undefined) return;
    if (TERMINAL_EVENT_TYPES.has(event.type)) this.#unterminated.delete(event.operationId);
    else if (LIFECYCLE_EVENT_TYPES.has(event.type)) this.#unterminated.add(event.operationId);
  }

  /** Appends one line to the newest segment (rotating first when it is full), or throws leaving no partial line. */
  #write(seq: number, line: string, size: number): void {
    let segment = this.#segments.at(-1);
    if (segment === undefined || (segment.bytes > 0 && segment.bytes + size > this.#segmentBytes))
      segment = this.#rotate(seq);
    this.#fd ??= openSync(segment.path, 'a');
    try {
      appendFileSync(this.#fd, line);
    } catch (error) {
      // Cut off any partial line so the next append does not land in the middle of it.
      try {
        ftruncateSync(this.#fd, segment.bytes);
      } catch {
        // The write error is the one worth reporting.
      }
      throw Object.assign(error as Error, { path: segment.path });
    }
    segment.bytes += size;
    segment.lastSeq = seq;
  }

  #noteFailure(error: unknown): void {
    const errno = (error as NodeJS.ErrnoException).code;
    const file = (error as NodeJS.ErrnoException).path ?? this.#dir;
    if (this.#failure === undefined)
      this.#onError(
        new Error(`could not append to the event log at ${file}; holding events in memory`, { cause: error }),
      );
    this.#failure = {
      store: 'event-log',
      path: file,
      ...(errno ? { errno } : {}),
      message: `Could not write ${file}: ${(error as Error).message}`,
      since: this.#failure?.since ?? new Date().toISOString(),
    };
  }

  /** Gives up the oldest held events past `pendingBytes`: a gap in the seqs on disk, counted in `writeProblem`. */
  #dropOverflow(): void {
    while (this.#pendingBytes > this.#pendingLimit && this.#pending.length > 1) {
      const dropped = this.#pending.shift()!;
      this.#pendingBytes -= dropped.bytes;
      this.#droppedEvents += 1;
    }
  }

  #startSegment(firstSeq: number): SegmentInfo {
    const segment: SegmentInfo = {
      path: join(this.#dir, segmentFileName(firstSeq)),
      firstSeq,
      lastSeq: firstSeq - 1,
      bytes: 0,
    };
    const fd = openSync(segment.path, 'a');
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = fd;
    this.#segments.push(segment);
    return segment;
  }

  /** Starts a new segment; if the new file cannot be made, the current one stays in use and the error is thrown. */
  #rotate(firstSeq: number): SegmentInfo {
    const segment = this.#startSegment(firstSeq);
    while (this.#segments.length > this.#maxSegments) {
      const oldest = this.#segments.shift();
      if (oldest === undefined) break;
      try {
        unlinkSync(oldest.path);
        forgetSegment(oldest.path);
      } catch (error) {
        // The log no longer reads the file; a leftover only wastes space (and is picked up again at the next open).
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#onError(error);
      }
    }
    return segment;
  }
}

function seqOf(event: EventEnvelope): number {
  return parseCursor(event.cursor).seq;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Expected the \`${name}\` option to be a positive integer, got ${String(value)}`);
  }
  return value;
}
