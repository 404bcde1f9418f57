export interface RefusalLimiterOptions {
  /** Refusals an address may have logged in a burst. */
  burst: number;
  /** Refusals per second the budget refills with. */
  perSecond: number;
  /** Addresses remembered at once; the least recently seen is forgotten first. */
  maxAddresses?: number;
  now?: () => number;
}

/**
 * A token bucket per remote address for refused handshakes: within its budget a refusal is logged and answered
 * in full; past it the peer is cut off without a log line each, and only counted for a periodic summary. A
 * peer flooding refused handshakes then costs the log a few lines, not megabytes.
 */
export class RefusalLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private suppressed = new Map<string, number>();
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(private readonly options: RefusalLimiterOptions) {
    this.maxAddresses = options.maxAddresses ?? 1024;
    this.now = options.now ?? Date.now;
  }

  /** Spends one refusal of `address`'s budget: true when it may be logged, false when it must stay quiet. */
  admit(address: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (bucket) {
      this.buckets.delete(address);
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond);
      bucket.at = now;
    } else {
      if (this.buckets.size >= this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.options.burst, at: now };
    }
    // Re-inserted on every use: the Map's order is then least recently seen first.
    this.buckets.set(address, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    if (this.suppressed.size < this.maxAddresses || this.suppressed.has(address))
      this.suppressed.set(address, (this.suppressed.get(address) ?? 0) + 1);
    return false;
  }

  /** The quiet refusals per address since the last call (empty when there were none), and starts counting anew. */
  takeSuppressed(): Map<string, number> {
    const counts = this.suppressed;
    this.suppressed = new Map();
    return counts;
  }
}
