import type { Diagnostic } from '../contract/diagnostics.js';
import { toAbsolute } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { BuildProgressTracker } from './build-progress.js';
import type { CachedOutput, OutputCache } from './output-cache.js';
import type { PackSource } from '../packs/pack-writer.js';
import type { BuildPlan, PlannedEntry } from './plan-build.js';
import { processAsset } from './process-asset.js';
import { ProcessorFailure } from './processors/processor.js';
import type { RemoteBuildSession } from './remote-cache/remote-build-session.js';
import { runPool } from './worker-pool.js';

/**
 * The distinct processing jobs of a build: one per cache key, so an asset in two packs (or two assets with
 * the same content, processor and settings) is processed once. Holds each job's output or failure.
 */
export class BuildJobs {
  /** Cache key → the distinct assets that need that output (first one is the job's representative). */
  private readonly byKey = new Map<string, PlannedEntry[]>();
  private readonly outputs = new Map<string, CachedOutput>();
  private readonly failed = new Map<string, ProcessorFailure>();
  private readonly hits = new Set<string>();
  /** Keys taken as pass-through (a remote cache is configured and the processor is `copy`). */
  private readonly passThrough = new Set<string>();
  private readonly repairs = new Map<string, Promise<void>>();

  constructor(
    plan: BuildPlan,
    private readonly cache: OutputCache,
    private readonly projectRoot: string,
    private readonly signal: AbortSignal,
    private readonly remote?: RemoteBuildSession,
  ) {
    const seen = new Set<string>();
    for (const pack of plan.packs) {
      for (const entry of pack.entries) {
        if (seen.has(entry.assetId)) continue;
        seen.add(entry.assetId);
        const list = this.byKey.get(entry.cacheKey);
        if (list) list.push(entry);
        else this.byKey.set(entry.cacheKey, [entry]);
      }
    }
  }

  /** Distinct assets. */
  get size(): number {
    let count = 0;
    for (const list of this.byKey.values()) count += list.length;
    return count;
  }

  get inputBytes(): number {
    let bytes = 0;
    for (const list of this.byKey.values()) for (const entry of list) bytes += entry.size;
    return bytes;
  }

  /**
   * Looks every job up in the cache, then processes the misses on a pool of `concurrency`. With a remote cache,
   * each local miss asks it first (as many at once as the remote allows), and only its misses wait for a
   * processing slot; `copy` outputs are their inputs, so they are taken as they are (pass-through), never asked for.
   */
  async run(tracker: BuildProgressTracker, concurrency: number): Promise<void> {
    const misses: [string, PlannedEntry[]][] = [];
    const remote = this.remote;
    for (const [key, list] of this.byKey) {
      const first = list[0]!;
      if (remote && isPassThrough(first)) {
        const output = { digest: first.inputDigest, size: first.size, metadata: {} };
        this.outputs.set(key, this.cache.recordPassthrough(key, output));
        this.passThrough.add(key);
        for (const entry of list) tracker.finished(entry, 'passThrough');
        continue;
      }
      const hit = this.cache.lookup(key);
      if (!hit) {
        misses.push([key, list]);
        continue;
      }
      this.outputs.set(key, hit);
      this.hits.add(key);
      for (const entry of list) tracker.finished(entry, 'cached');
    }
    const processMiss = async ([key, list]: [string, PlannedEntry[]]): Promise<void> => {
      const ok = await this.process(key, list[0]!);
      list.forEach((entry, index) => tracker.finished(entry, !ok ? 'failed' : index === 0 ? 'processed' : 'cached'));
    };
    if (!remote) await runPool(misses, { concurrency, signal: this.signal }, processMiss);
    else {
      const slots = new Slots(concurrency);
      const lookups = Math.max(concurrency, remote.concurrency);
      await runPool(misses, { concurrency: lookups, signal: this.signal }, async (miss) => {
        const [key, list] = miss;
        const hit = await remote.fetch(list[0]!, this.cache);
        if (!hit) return slots.run(() => processMiss(miss));
        this.outputs.set(key, hit);
        this.hits.add(key);
        for (const entry of list) tracker.finished(entry, 'cached');
      });
    }
    // Small outputs are written in batches: every byte is on disk before a pack reads it.
    await this.cache.flush();
  }

  /** True when the key's output came from the cache (and was not repaired since). */
  isCacheHit(key: string): boolean {
    return this.hits.has(key);
  }

  hasFailed(key: string): boolean {
    return this.failed.has(key);
  }

  /** Where the pack writer reads an entry's bytes from. Only for jobs that succeeded. */
  sourceOf(entry: PlannedEntry): PackSource {
    const output = this.outputs.get(entry.cacheKey)!;
    return {
      entry: {
        id: entry.assetId,
        name: entry.name,
        path: entry.path,
        kind: entry.kind,
        size: output.size,
        digest: output.digest,
        metadata: output.metadata,
      },
      file: output.stored?.file ?? toAbsolute(this.projectRoot, entry.path),
      offset: output.stored?.offset ?? 0,
      fromCache: output.stored !== undefined,
      cacheKey: entry.cacheKey,
    };
  }

  /** A cached object failed its digest check: evict it and process the asset again (once per key). */
  repair(key: string, tracker: BuildProgressTracker): Promise<void> {
    let pending = this.repairs.get(key);
    if (!pending) {
      this.cache.evict(key);
      this.outputs.delete(key);
      const previous = this.outcomeOf(key);
      this.hits.delete(key);
      this.passThrough.delete(key);
      pending = this.process(key, this.byKey.get(key)![0]!).then(async (ok) => {
        await this.cache.flush();
        tracker.repaired(ok ? 'processed' : 'failed', previous);
      });
      this.repairs.set(key, pending);
    }
    return pending;
  }

  /** Resolves when no repair is running (a key being repaired has no output to copy meanwhile). */
  async repairsSettled(): Promise<void> {
    await Promise.all(this.repairs.values());
  }

  /** Fails a job after the fact (its input changed while being copied, or its output cannot be trusted). */
  fail(key: string, failure: ProcessorFailure, tracker: BuildProgressTracker): void {
    const previous = this.outcomeOf(key);
    this.failed.set(key, failure);
    this.hits.delete(key);
    this.passThrough.delete(key);
    tracker.repaired('failed', previous);
  }

  private outcomeOf(key: string): 'cached' | 'processed' | 'passThrough' {
    return this.hits.has(key) ? 'cached' : this.passThrough.has(key) ? 'passThrough' : 'processed';
  }

  /** One diagnostic per asset whose job failed. */
  get failures(): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const [key, failure] of this.failed) {
      for (const entry of this.byKey.get(key) ?? []) {
        const where = failure.position ? ` (line ${failure.position.line}, column ${failure.position.column})` : '';
        out.push(
          diagnostic(
            failure.code,
            `${entry.path}: ${failure.message}`,
            { assetId: entry.assetId, path: entry.path },
            failure.code === 'CHANGED_DURING_BUILD'
              ? 'Build again.'
              : `Fix the file${where} or its settings, then build again.`,
          ),
        );
      }
    }
    return out.sort((a, b) => (a.path! < b.path! ? -1 : a.path! > b.path! ? 1 : 0));
  }

  private async process(key: string, entry: PlannedEntry): Promise<boolean> {
    try {
      const output = await processAsset(entry, this.cache, this.projectRoot, this.signal);
      this.outputs.set(key, output);
      // Only a successful output is shared, and only once it is in the local cache.
      this.remote?.upload(entry, output, this.cache);
      return true;
    } catch (error) {
      if (!(error instanceof ProcessorFailure)) throw error;
      this.failed.set(key, error);
      return false;
    }
  }
}

/**
 * The `copy` processor's output is the input file itself (its digest, size and no metadata), so with a remote
 * cache it is taken as it is: asking the remote would only cost a request. The pack writer still hashes every
 * byte it copies against the input digest, as for any pass-through output.
 */
function isPassThrough(entry: PlannedEntry): boolean {
  return entry.processor.type === 'builtin' && entry.processor.id === 'copy';
}

/** At most `size` calls of `run` at once; the rest wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
