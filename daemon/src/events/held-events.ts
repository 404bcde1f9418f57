import type { EventEnvelope, StorageWarning } from '@packer/core/contract';

/** An event numbered and published but not yet on disk, with the line that will store it. */
export interface HeldEvent {
  seq: number;
  event: EventEnvelope;
  line: string;
  bytes: number;
}

/**
 * The events a refusing disk (a full one, say) holds back, oldest first, and what is known of the trouble.
 * Past `limit` bytes the oldest are given up, leaving a gap in the seqs on disk; how many is reported with the
 * failure and cleared once writes go through again.
 */
export class HeldEvents {
  readonly #dir: string;
  readonly #limit: number;
  readonly #onError: (error: unknown) => void;
  // Numbered and published, not yet on disk: always newer than everything in the segments.
  readonly #events: HeldEvent[] = [];
  #bytes = 0;
  #dropped = 0;
  #failure: StorageWarning | undefined;

  constructor(dir: string, limit: number, onError: (error: unknown) => void) {
    this.#dir = dir;
    this.#limit = limit;
    this.#onError = onError;
  }

  /** The events held, oldest first. */
  get events(): readonly HeldEvent[] {
    return this.#events;
  }

  /** Puts an event behind the ones already held. */
  hold(seq: number, event: EventEnvelope, line: string): void {
    const bytes = Buffer.byteLength(line);
    this.#events.push({ seq, event, line, bytes });
    this.#bytes += bytes;
  }

  /**
   * Passes the held events to `write`, oldest first, until one throws (that failure is noted and reported once).
   * Never throws; returns whether none is left. Once all are written, reports that writes go through again.
   */
  flush(write: (held: HeldEvent) => void): boolean {
    while (this.#events.length > 0) {
      const next = this.#events[0]!;
      try {
        write(next);
      } catch (error) {
        this.#noteFailure(error);
        return false;
      }
      this.#events.shift();
      this.#bytes -= next.bytes;
    }
    if (this.#failure) {
      const { since } = this.#failure;
      const dropped = this.#dropped;
      this.#failure = undefined;
      this.#dropped = 0;
      this.#onError(
        new Error(
          `event log writes go through again (failing since ${since}${dropped ? `; ${dropped} events were lost` : ''})`,
        ),
      );
    }
    return true;
  }

  /** Gives up the oldest held events past `limit`: a gap in the seqs on disk, counted in `writeProblem`. */
  dropOverflow(): void {
    while (this.#bytes > this.#limit && this.#events.length > 1) {
      const dropped = this.#events.shift()!;
      this.#bytes -= dropped.bytes;
      this.#dropped += 1;
    }
  }

  /** What is held back while the disk refuses writes; undefined while every event is on disk. */
  get writeProblem(): StorageWarning | undefined {
    return (
      this.#failure && {
        ...this.#failure,
        pending: this.#events.length,
        ...(this.#dropped > 0 ? { dropped: this.#dropped } : {}),
      }
    );
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
}
