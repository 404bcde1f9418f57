import type { BuildCounts, RemoteCacheStats } from '../contract/build-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';

/** One progress report of a build: cumulative, so a consumer that misses some loses nothing. */
export interface BuildProgress {
  /** Distinct assets finished (processed, cached or failed). */
  done: number;
  total: number;
  /** Input bytes of the finished assets. */
  bytes: number;
  /** The asset (path) or pack being worked on. */
  current?: string;
  counts: BuildCounts;
  /** Failures and remote cache warnings so far (cumulative, at most 100), so a consumer that sees only the latest
   * report misses none. */
  warnings?: Diagnostic[];
  /** Remote cache use so far, when one is configured. */
  remote?: RemoteCacheStats;
}

const MAX_REPORTED_WARNINGS = 100;

/** Counts asset outcomes and reports after each one. */
export class BuildProgressTracker {
  readonly counts: BuildCounts = { processed: 0, cached: 0, failed: 0 };
  private done = 0;
  private bytes = 0;

  constructor(
    private readonly total: number,
    private readonly onProgress: ((progress: BuildProgress) => void) | undefined,
    private readonly failuresSoFar: () => Diagnostic[] = () => [],
    private readonly remote?: { readonly stats: RemoteCacheStats; readonly warnings: Diagnostic[] },
  ) {
    // Only builds with a remote cache take copy outputs as pass-through (BuildCounts.passThrough).
    if (remote) this.counts.passThrough = 0;
  }

  finished(item: { path: string; size: number }, outcome: keyof BuildCounts): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + 1;
    this.done++;
    this.bytes += item.size;
    this.report(item.path);
  }

  /** Many assets settled at once (those of packs a build need not write again): one report, not one per asset. */
  finishedMany(count: number, bytes: number, outcome: keyof BuildCounts): void {
    if (count === 0) return;
    this.counts[outcome] = (this.counts[outcome] ?? 0) + count;
    this.done += count;
    this.bytes += bytes;
    this.report();
  }

  /** Moves assets counted `cached` to another outcome (taken from a previous pack, then processed after all). */
  recount(count: number, outcome: 'processed' | 'failed'): void {
    if (count === 0) return;
    this.counts.cached -= count;
    this.counts[outcome] += count;
  }

  /**
   * An asset counted as `previous` ended otherwise: a corrupt cached output was processed again, or an input
   * changed while being copied (failed).
   */
  repaired(outcome: 'processed' | 'failed', previous: 'processed' | 'cached' | 'passThrough'): void {
    if (previous === outcome) return;
    this.counts[previous] = (this.counts[previous] ?? 0) - 1;
    this.counts[outcome]++;
  }

  report(current?: string): void {
    if (!this.onProgress) return;
    const warnings = [...(this.counts.failed > 0 ? this.failuresSoFar() : []), ...(this.remote?.warnings ?? [])].slice(
      0,
      MAX_REPORTED_WARNINGS,
    );
    this.onProgress({
      done: this.done,
      total: this.total,
      bytes: this.bytes,
      ...(current ? { current } : {}),
      counts: { ...this.counts },
      ...(warnings.length ? { warnings } : {}),
      ...(this.remote ? { remote: this.remote.stats } : {}),
    });
  }
}
