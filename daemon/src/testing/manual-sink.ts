import type { EventEnvelope } from '@packer/core/contract';
import type { EventSink } from '../events/subscriber-queue.js';

/** A sink that takes `budget` more events before reporting full; `drain()` refills it like a socket's 'drain'. */
export class ManualSink implements EventSink {
  readonly received: EventEnvelope[] = [];
  #budget: number;
  readonly #listeners = new Set<() => void>();

  constructor(budget = Number.POSITIVE_INFINITY) {
    this.#budget = budget;
  }

  send(event: EventEnvelope): boolean {
    this.received.push(event);
    this.#budget -= 1;
    return this.#budget > 0;
  }

  onDrain(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The next send fills the buffer. */
  stall(): void {
    this.#budget = Math.min(this.#budget, 1);
  }

  drain(budget = Number.POSITIVE_INFINITY): void {
    this.#budget = budget;
    for (const listener of [...this.#listeners]) listener();
  }
}
