import type { EventEnvelope } from '@packer/core/contract';

/**
 * A fixed-size ring of the most recent events, addressed by seq. It always holds one contiguous run of seqs
 * `[firstSeq, lastSeq]`, so a seq maps straight to its slot.
 */
export class EventTail {
  readonly #slots: (EventEnvelope | undefined)[];
  #lastSeq = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#slots = new Array<EventEnvelope | undefined>(capacity);
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Seq of the oldest event held; `lastSeq + 1` while empty. */
  get firstSeq(): number {
    return this.#lastSeq - this.#count + 1;
  }

  /** Adds an event, evicting the oldest when full. A seq that does not follow `lastSeq` starts a new run. */
  push(seq: number, event: EventEnvelope): void {
    if (seq !== this.#lastSeq + 1) this.reset(seq - 1);
    this.#slots[seq % this.#slots.length] = event;
    this.#lastSeq = seq;
    this.#count = Math.min(this.#count + 1, this.#slots.length);
  }

  /** Empties the ring; the next event expected is `lastSeq + 1`. */
  reset(lastSeq: number): void {
    this.#slots.fill(undefined);
    this.#lastSeq = lastSeq;
    this.#count = 0;
  }

  /** Events with seq > `afterSeq`, oldest first, at most `limit`; undefined when the ring does not reach back to
   * `afterSeq + 1`. */
  since(afterSeq: number, limit: number): EventEnvelope[] | undefined {
    if (afterSeq + 1 < this.firstSeq) return undefined;
    const events: EventEnvelope[] = [];
    for (let seq = afterSeq + 1; seq <= this.#lastSeq && events.length < limit; seq += 1) {
      const event = this.#slots[seq % this.#slots.length];
      if (event !== undefined) events.push(event);
    }
    return events;
  }
}
