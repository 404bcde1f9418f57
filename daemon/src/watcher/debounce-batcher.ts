import { DEFAULT_DEBOUNCE_MS, type WatchBatch, type WatchEvent, type WatchEventType } from './watcher.js';

/** Longest a continuous burst may hold a batch back. */
export const DEFAULT_MAX_DELAY_MS = 1_000;

export interface DebounceBatcherOptions {
  /** Receives each non-empty batch. */
  onFlush(batch: WatchBatch): void;
  /** Flush once no event arrived for this long. */
  debounceMs?: number;
  /** Flush at the latest this long after the batch's first event, even while events keep arriving. */
  maxDelayMs?: number;
  /** Paths whose event lets `flushIfUrgent` deliver the batch at once (see WatchOptions.urgent). */
  urgent?: ((path: string) => boolean) | undefined;
}

/**
 * Collects raw events into batches, one event per path. Flushes after `debounceMs` of quiet, or `maxDelayMs`
 * after the batch's first event during a continuous burst. Timer-based only, so fake timers drive it in tests.
 */
export class DebounceBatcher {
  readonly #onFlush: (batch: WatchBatch) => void;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #urgent: ((path: string) => boolean) | undefined;
  #urgentPending = false;
  #pending = new Map<string, WatchEventType>();
  #quietTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: DebounceBatcherOptions) {
    this.#onFlush = options.onFlush;
    this.#debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.#maxDelayMs = Math.max(options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, this.#debounceMs);
    this.#urgent = options.urgent;
  }

  push(event: WatchEvent): void {
    if (this.#closed) return;
    const previous = this.#pending.get(event.path);
    this.#pending.set(event.path, previous === undefined ? event.type : mergeTypes(previous, event.type));
    if (this.#urgent?.(event.path)) this.#urgentPending = true;
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.flush(), this.#debounceMs);
    this.#maxTimer ??= setTimeout(() => this.flush(), this.#maxDelayMs);
  }

  /**
   * Delivers the pending batch now if it holds an urgent path. Backends call this at the end of one native
   * delivery (not per event), because a native batch may list a cookie before changes that preceded it.
   */
  flushIfUrgent(): void {
    if (this.#urgentPending) this.flush();
  }

  /** Delivers whatever is pending now. */
  flush(): void {
    this.#urgentPending = false;
    this.#clearTimers();
    if (this.#pending.size === 0 || this.#closed) return;
    const events = [...this.#pending].map(([path, type]) => ({ type, path }));
    this.#pending = new Map();
    this.#onFlush({ events });
  }

  /** Drops pending events and stops all timers; nothing is delivered afterwards. */
  close(): void {
    this.#closed = true;
    this.#clearTimers();
    this.#pending.clear();
  }

  #clearTimers(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#quietTimer = undefined;
    this.#maxTimer = undefined;
  }
}

/**
 * The last type wins, with two refinements that keep the batch truthful against the state before it:
 * a path added and then edited is still new (`add`), and a path removed and then recreated existed before
 * and exists after (`change`). Added then removed reports `unlink`, so a consumer never misses a removal.
 */
function mergeTypes(previous: WatchEventType, next: WatchEventType): WatchEventType {
  if (previous === 'add' && next === 'change') return 'add';
  if (previous === 'unlink' && next === 'add') return 'change';
  return next;
}
