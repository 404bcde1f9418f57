import { DebounceBatcher } from './debounce-batcher.js';
import { describeWatcherError } from './watcher-error.js';
import type { WatchBatch, WatchEvent, WatcherErrorInfo, WatchOptions } from './watcher.js';

/**
 * Where a backend sends what it sees: batches events, shields the backend from exceptions thrown by the
 * subscriber's callbacks (a throw inside @parcel/watcher's callback would take the whole process down), and goes
 * silent for good once closed.
 */
export class EventSink {
  readonly #options: Pick<WatchOptions, 'onBatch' | 'onError'>;
  readonly #batcher: DebounceBatcher;
  readonly #flushEachDelivery: boolean;
  #closed = false;

  /**
   * `nativeQuietPeriod`: the backend's own deliveries already come after a quiet period (@parcel/watcher waits for
   * 50 ms without events, 500 ms at most), so each delivery is flushed whole when it ends instead of waiting out a
   * second quiet period here (50 ms more on every outside change), unless the caller asked for its own `debounceMs`.
   */
  constructor(options: WatchOptions, nativeQuietPeriod = false) {
    this.#options = options;
    const batcherOptions: ConstructorParameters<typeof DebounceBatcher>[0] = {
      onFlush: (batch) => this.#deliver(batch),
    };
    if (options.debounceMs !== undefined) batcherOptions.debounceMs = options.debounceMs;
    if (options.urgent) batcherOptions.urgent = options.urgent;
    this.#batcher = new DebounceBatcher(batcherOptions);
    this.#flushEachDelivery = nativeQuietPeriod && options.debounceMs === undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(event: WatchEvent): void {
    if (!this.#closed) this.#batcher.push(event);
  }

  /** The backend finished handing over one native batch: an urgent event in it may be delivered now. */
  endOfDelivery(): void {
    if (this.#closed) return;
    if (this.#flushEachDelivery) this.#batcher.flush();
    else this.#batcher.flushIfUrgent();
  }

  report(error: WatcherErrorInfo): void {
    if (this.#closed) return;
    try {
      this.#options.onError(error);
    } catch {
      // Nowhere left to report a failing error handler; swallowing keeps the watcher alive.
    }
  }

  close(): void {
    this.#closed = true;
    this.#batcher.close();
  }

  #deliver(batch: WatchBatch): void {
    if (this.#closed) return;
    try {
      this.#options.onBatch(batch);
    } catch (error) {
      this.report(describeWatcherError(error, 'onBatch threw while handling a watch batch', false));
    }
  }
}
