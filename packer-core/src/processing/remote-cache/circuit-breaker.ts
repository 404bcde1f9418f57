/** Consecutive failures that pause the remote cache (Turborepo's rule: 3 errors, 30 s). */
export const BREAKER_THRESHOLD = 3;
export const BREAKER_PAUSE_MS = 30_000;

/**
 * Stops asking a cache that keeps failing: after `threshold` consecutive connection errors or 5xx replies,
 * requests are skipped (a miss, no upload) for `pauseMs`; then the next request tries again, and one more
 * failure pauses again at once.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private until = 0;

  constructor(
    private readonly threshold = BREAKER_THRESHOLD,
    private readonly pauseMs = BREAKER_PAUSE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while requests are held back. */
  get paused(): boolean {
    return this.now() < this.until;
  }

  /** When requests resume (epoch ms), while paused. */
  get pausedUntil(): number | undefined {
    return this.paused ? this.until : undefined;
  }

  success(): void {
    this.consecutive = 0;
  }

  /** Counts a failure; true when this one paused the cache. */
  failure(): boolean {
    this.consecutive++;
    if (this.consecutive < this.threshold || this.paused) return false;
    this.until = this.now() + this.pauseMs;
    this.consecutive = this.threshold - 1;
    return true;
  }
}
