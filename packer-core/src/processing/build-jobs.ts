import type { Diagnostic } from '../contract/diagnostics.js';
import { toAbsolute } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { BuildProgressTracker } from './build-progress.js';
import type { CachedOutput, OutputCache } from './output-cache.js';
import type { PackSource } from '../packs/pack-writer.js';
import { layoutEntryOf, type PlannedEntry, type PlannedPack } from './plan-build.js';
import { processAsset } from './process-asset.js';
import { ProcessorFailure } from './processors/processor.js';
import type { FetchedOutput, OutputShape, RemoteBuildSession } from './remote-cache/remote-build-session.js';
import { runPool } from './worker-pool.js';
import { listOf } from '../snapshot/one-or-many.js';

/**
 * The distinct processing jobs of a build: one per cache key, so an asset in two packs (or two assets with
 * the same content, processor and settings) is processed once. Holds each job's output or failure.
 */
export class BuildJobs {
  /**
   * Cache key → the distinct assets that need that output (first one is the job's representative): the entry alone
   * when it is the only one, as nearly always (100k one-item arrays at 100k assets, for the whole build).
   */
  private byKey = new Map<string, PlannedEntry | PlannedEntry[]>();
  private readonly outputs = new Map<string, CachedOutput>();
  private readonly failed = new Map<string, ProcessorFailure>();
  private readonly hits = new Set<string>();
  /** Keys taken as pass-through (a remote cache is configured and the processor is `copy`). */
  private readonly passThrough = new Set<string>();
  private readonly repairs = new Map<string, Promise<void>>();
  /** The planned packs, for the order in which a remote cache is asked (see `rankOf`). */
  private packs: readonly PlannedPack[];
  /** Outputs whose shape is known before their bytes are here (a remote action result read, its blob not yet). */
  private readonly shapes = new Map<string, OutputShape>();
  /** Keys whose job has ended (output or failure). */
  private readonly settled = new Set<string>();
  /** Keys stored in this build whose bytes may still wait in the cache's write batch. */
  private readonly unflushed = new Set<string>();
  private flushing: Promise<void> | undefined;
  /** CRC-32 of outputs downloaded and verified in this build: the pack writer checks its read-back against it. */
  private readonly fresh = new Map<string, number>();
  /** Callbacks waiting for a key to be described or settled (see `until`). */
  private readonly watchers = new Map<string, (() => void)[]>();
  private ended = false;
  /** Keys more than one pack holds, and how many of those packs are still to be staged (see `packDone`). */
  private readonly sharedBy = new Map<string, number>();

  constructor(
    packs: readonly PlannedPack[],
    private readonly cache: OutputCache,
    private readonly projectRoot: string,
    private readonly signal: AbortSignal,
    private readonly remote?: RemoteBuildSession,
  ) {
    this.packs = [...packs];
    const seen = new Set<string>();
    for (const pack of packs) {
      for (const entry of pack.entries) {
        if (seen.has(entry.assetId)) continue;
        seen.add(entry.assetId);
        const known = this.byKey.get(entry.cacheKey);
        if (known === undefined) this.byKey.set(entry.cacheKey, entry);
        else if (Array.isArray(known)) known.push(entry);
        else this.byKey.set(entry.cacheKey, [known, entry]);
      }
    }
    // Nearly every key is in one pack: only the others are remembered.
    const packsOf = new Map<string, number>();
    for (const pack of packs)
      for (const key of new Set(pack.entries.map((entry) => entry.cacheKey)))
        packsOf.set(key, (packsOf.get(key) ?? 0) + 1);
    for (const [key, count] of packsOf) if (count > 1) this.sharedBy.set(key, count);
  }

  /** Rank of each key in the order packs consume them: its first pack, then its asset id (the pack's entry order). */
  private rankOf(): Map<string, number> {
    const rank = new Map<string, number>();
    for (const pack of this.packs) {
      const byId = [...pack.entries].sort((a, b) => (a.assetId < b.assetId ? -1 : a.assetId > b.assetId ? 1 : 0));
      for (const entry of byId) if (!rank.has(entry.cacheKey)) rank.set(entry.cacheKey, rank.size);
    }
    return rank;
  }

  /** The entries that need a key's output, its representative first. */
  private entriesOf(key: string): readonly PlannedEntry[] {
    return listOf(this.byKey.get(key)) ?? [];
  }

  /** Distinct assets. */
  get size(): number {
    let count = 0;
    for (const list of this.byKey.values()) count += Array.isArray(list) ? list.length : 1;
    return count;
  }

  get inputBytes(): number {
    let bytes = 0;
    for (const list of this.byKey.values()) for (const entry of listOf<PlannedEntry>(list)!) bytes += entry.size;
    return bytes;
  }

  /**
   * Looks every job up in the cache, then processes the misses on a pool of `concurrency`. With a remote cache,
   * each local miss asks it first (as many at once as the remote allows), and only its misses wait for a
   * processing slot; `copy` outputs are their inputs, so they are taken as they are (pass-through), never asked for.
   */
  async run(tracker: BuildProgressTracker, concurrency: number): Promise<void> {
    try {
      await this.runAll(tracker, concurrency);
    } finally {
      // Whoever still waits for a key learns that it will not come (a cancel, an error).
      this.ended = true;
      for (const key of [...this.watchers.keys()]) this.wake(key);
    }
  }

  private async runAll(tracker: BuildProgressTracker, concurrency: number): Promise<void> {
    // Keys only: a [key, entries] pair per miss held 100k small arrays through a cold build.
    const misses: string[] = [];
    const remote = this.remote;
    for (const [key, stored] of this.byKey) {
      const list = listOf<PlannedEntry>(stored)!;
      const first = list[0]!;
      if (remote && isPassThrough(first)) {
        const output = { digest: first.inputDigest, size: first.size, metadata: {} };
        this.outputs.set(key, this.cache.recordPassthrough(key, output));
        this.passThrough.add(key);
        this.settle(key);
        for (const entry of list) tracker.finished(entry, 'passThrough');
        continue;
      }
      const hit = this.cache.lookup(key);
      if (!hit) {
        misses.push(key);
        continue;
      }
      this.outputs.set(key, hit);
      this.hits.add(key);
      this.settle(key);
      for (const entry of list) tracker.finished(entry, 'cached');
    }
    const processMiss = async (key: string): Promise<void> => {
      const list = this.entriesOf(key);
      const ok = await this.process(key, list[0]!);
      list.forEach((entry, index) => tracker.finished(entry, !ok ? 'failed' : index === 0 ? 'processed' : 'cached'));
    };
    if (!remote) await runPool(misses, { concurrency, signal: this.signal }, processMiss);
    else await this.fetchAll(remote, misses, tracker, concurrency, processMiss);
    // Small outputs are written in batches: every byte is on disk before a pack reads it.
    await this.cache.flush();
  }

  /**
   * Local misses from the remote: action results are read ahead (a quarter of the remote's requests), in the order
   * the packs are written, so each pack can be laid out early; their blobs are downloaded behind them on the rest,
   * in the same order, so the pack being written finds its next entries first. Remote misses wait for a processing
   * slot without holding up the lookups.
   */
  private async fetchAll(
    remote: RemoteBuildSession,
    misses: string[],
    tracker: BuildProgressTracker,
    concurrency: number,
    processMiss: (miss: string) => Promise<void>,
  ): Promise<void> {
    const rank = this.rankOf();
    misses.sort((a, b) => rank.get(a)! - rank.get(b)!);
    const slots = new Slots(concurrency);
    const processing: Promise<void>[] = [];
    const local = (miss: string): void => {
      this.shapes.delete(miss);
      processing.push(slots.run(() => processMiss(miss)));
    };
    const hit = (key: string, found: FetchedOutput): void => {
      this.outputs.set(key, found.output);
      this.hits.add(key);
      if (found.crc !== undefined) this.fresh.set(key, found.crc);
      if (found.output.stored) this.unflushed.add(key);
      this.settle(key);
      for (const entry of this.entriesOf(key)) tracker.finished(entry, 'cached');
    };
    const blobs = new TaskQueue();
    const lookups = runPool(
      misses,
      { concurrency: Math.max(1, Math.ceil(remote.concurrency / 4)), signal: this.signal },
      async (miss) => {
        const found = await remote.lookup(this.entriesOf(miss)[0]!, this.cache);
        if (!found) return local(miss);
        if ('output' in found) return hit(miss, found);
        this.shapes.set(miss, found.shape);
        this.wake(miss);
        blobs.push(async () => {
          const downloaded = await found.download();
          if (downloaded) hit(miss, downloaded);
          else local(miss);
        });
      },
    ).finally(() => blobs.close());
    const downloads = blobs.run(Math.max(concurrency, remote.concurrency), this.signal);
    const results = await Promise.allSettled([lookups, downloads]);
    results.push(...(await Promise.allSettled(processing)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
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
    const stored = output.stored;
    return {
      entry: layoutEntryOf(entry, output),
      file: stored?.file ?? toAbsolute(this.projectRoot, entry.path),
      offset: stored?.offset ?? 0,
      fromCache: stored !== undefined,
      crc: this.fresh.get(entry.cacheKey),
      cacheKey: entry.cacheKey,
    };
  }

  /**
   * Waits until the output of every key of `entries` is at least described (its digest, size and metadata known:
   * enough to lay a pack out), and answers a source for each, in `entries` order, laid out from what is known at
   * that moment (`readySource` checks it against the final output). Undefined when one of them failed, or the run
   * ended without it (the caller then waits for the run and takes the usual way).
   */
  async describedSources(entries: readonly PlannedEntry[]): Promise<PackSource[] | undefined> {
    for (;;) {
      for (const { cacheKey: key } of entries) {
        if (this.failed.has(key)) return undefined;
        if (this.isDescribed(key)) continue;
        if (this.ended) return undefined;
        await this.until(key, () => this.isDescribed(key));
      }
      // A shape seen before a wait may be gone after it (its blob missed): all of them at once, or wait again.
      if (entries.every(({ cacheKey: key }) => this.isDescribed(key) && !this.failed.has(key)))
        return entries.map((entry) => this.plannedSource(entry));
    }
  }

  private isDescribed(key: string): boolean {
    return this.outputs.has(key) || this.shapes.has(key);
  }

  private plannedSource(entry: PlannedEntry): PackSource {
    const shape = this.outputs.get(entry.cacheKey) ?? this.shapes.get(entry.cacheKey)!;
    return {
      entry: layoutEntryOf(entry, shape),
      // Where a pass-through output is; a stored one's place is known once it is stored (see readySource).
      file: toAbsolute(this.projectRoot, entry.path),
      offset: 0,
      fromCache: false,
      cacheKey: entry.cacheKey,
    };
  }

  /**
   * For `stagePack`: a source laid out from `sourceOf` before its job ended, once its bytes can be read (stored and
   * written out), with their location. Throws StaleLayout when the job failed, did not end, or ended with another
   * output than the layout assumed (a blob that failed verification and was processed here instead).
   */
  readonly readySource = (source: PackSource): PackSource | Promise<PackSource> => {
    if (source.fromPack) return source;
    const key = source.cacheKey;
    if (this.settled.has(key) && !this.unflushed.has(key)) return this.settledSource(source);
    return (async () => {
      if (!this.settled.has(key)) await this.until(key, () => this.settled.has(key));
      if (this.unflushed.has(key)) await this.flushStored();
      return this.settledSource(source);
    })();
  };

  private settledSource(source: PackSource): PackSource {
    const output = this.outputs.get(source.cacheKey);
    const planned = source.entry;
    if (
      !output ||
      !this.settled.has(source.cacheKey) ||
      output.digest !== planned.digest ||
      output.size !== planned.size ||
      JSON.stringify(output.metadata) !== JSON.stringify(planned.metadata)
    )
      throw new StaleLayout(source.cacheKey);
    return {
      ...source,
      file: output.stored ? output.stored.file : source.file,
      offset: output.stored ? output.stored.offset : 0,
      fromCache: output.stored !== undefined,
      crc: this.fresh.get(source.cacheKey),
    };
  }

  /** Writes out what the cache batched, once for every caller waiting meanwhile. */
  private flushStored(): Promise<void> {
    this.flushing ??= (async () => {
      const keys = [...this.unflushed];
      try {
        await this.cache.flush();
        for (const key of keys) this.unflushed.delete(key);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private settle(key: string): void {
    this.settled.add(key);
    this.wake(key);
  }

  private wake(key: string): void {
    const waiting = this.watchers.get(key);
    if (!waiting) return;
    this.watchers.delete(key);
    for (const resolve of waiting) resolve();
  }

  /** Resolves when `done()` holds for the key, or once the run has ended (the caller checks again). */
  private async until(key: string, done: () => boolean): Promise<void> {
    while (!done() && !this.ended) {
      await new Promise<void>((resolve) => {
        const list = this.watchers.get(key);
        if (list) list.push(resolve);
        else this.watchers.set(key, [resolve]);
      });
    }
  }

  /** A cached object failed its digest check: evict it and process the asset again (once per key). */
  repair(key: string, tracker: BuildProgressTracker): Promise<void> {
    let pending = this.repairs.get(key);
    if (!pending) {
      this.cache.evict(key);
      this.outputs.delete(key);
      this.fresh.delete(key);
      const previous = this.outcomeOf(key);
      this.hits.delete(key);
      this.passThrough.delete(key);
      pending = this.process(key, this.entriesOf(key)[0]!).then(async (ok) => {
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

  /**
   * One of the planned packs is staged (or found unchanged, or failed): the outputs of `entries`, its entries these
   * jobs were made for, are let go unless a pack still to be staged holds them too. A build then holds the outputs of
   * the packs it has not written yet, not of every pack: at 100k assets, ~20 MB less at the end of a cold build's
   * processing, the top of its memory. What `failures` needs stays.
   */
  packDone(entries: readonly PlannedEntry[]): void {
    for (const key of new Set(entries.map((entry) => entry.cacheKey))) {
      if (!this.settled.has(key) || this.failed.has(key)) continue;
      const holders = this.sharedBy.get(key);
      if (holders !== undefined && holders > 1) {
        this.sharedBy.set(key, holders - 1);
        continue;
      }
      this.sharedBy.delete(key);
      this.forget(key);
    }
  }

  private forget(key: string): void {
    this.outputs.delete(key);
    this.hits.delete(key);
    this.passThrough.delete(key);
    this.shapes.delete(key);
    this.settled.delete(key);
    this.unflushed.delete(key);
    this.fresh.delete(key);
  }

  /**
   * Forgets every output and every job that did not fail, keeping only what `failures` needs: called once every
   * pack is staged, before the output cache's index is written (the top of a cold build's memory, where 100k
   * outputs, their maps and the planned entries are dead weight). Nothing but `failures` may be asked afterwards.
   */
  release(): void {
    const failed = new Map<string, PlannedEntry | PlannedEntry[]>();
    for (const key of this.failed.keys()) failed.set(key, this.byKey.get(key)!);
    this.byKey = failed;
    this.packs = [];
    this.outputs.clear();
    this.hits.clear();
    this.passThrough.clear();
    this.shapes.clear();
    this.settled.clear();
    this.unflushed.clear();
    this.fresh.clear();
  }

  /** One diagnostic per asset whose job failed. */
  get failures(): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const [key, failure] of this.failed) {
      for (const entry of this.entriesOf(key)) out.push(failureDiagnostic(entry, failure));
    }
    return out.sort((a, b) => (a.path! < b.path! ? -1 : a.path! > b.path! ? 1 : 0));
  }

  private async process(key: string, entry: PlannedEntry): Promise<boolean> {
    try {
      const output = await processAsset(entry, this.cache, this.projectRoot, this.signal);
      this.outputs.set(key, output);
      if (output.stored) this.unflushed.add(key);
      this.settle(key);
      // Only a successful output is shared, and only once it is in the local cache.
      this.remote?.upload(entry, output, this.cache);
      return true;
    } catch (error) {
      if (!(error instanceof ProcessorFailure)) throw error;
      this.failed.set(key, error);
      this.settle(key);
      return false;
    }
  }
}

/**
 * The diagnostic of one failed asset. A CHANGED_DURING_BUILD one is a single sentence naming the path, what
 * happened to it and what to do; a deleted file also gets a hint, since building again then reports it missing.
 */
function failureDiagnostic(entry: PlannedEntry, failure: ProcessorFailure): Diagnostic {
  const subject = { assetId: entry.assetId, path: entry.path };
  if (failure.code === 'CHANGED_DURING_BUILD')
    return diagnostic(
      'CHANGED_DURING_BUILD',
      `${entry.path} ${failure.message}; build again.`,
      subject,
      failure.change === 'deleted'
        ? 'If it was deleted on purpose, run `packer reconcile` to drop the asset; otherwise restore the file.'
        : undefined,
    );
  const where = failure.position ? ` (line ${failure.position.line}, column ${failure.position.column})` : '';
  return diagnostic(
    'PROCESSOR_FAILED',
    `${entry.path}: ${failure.message}`,
    subject,
    `Fix the file${where} or its settings, then build again.`,
  );
}

/**
 * The `copy` processor's output is the input file itself (its digest, size and no metadata), so with a remote
 * cache it is taken as it is: asking the remote would only cost a request. The pack writer still hashes every
 * byte it copies against the input digest, as for any pass-through output.
 */
function isPassThrough(entry: PlannedEntry): boolean {
  return entry.processor.type === 'builtin' && entry.processor.id === 'copy';
}

/** A pack laid out before its outputs were all here turned out not to match them: lay it out again. */
export class StaleLayout extends Error {
  constructor(readonly cacheKey: string) {
    super(`the output for cache key ${cacheKey} is not the one the pack was laid out with`);
    this.name = 'StaleLayout';
  }
}

/** Tasks pushed while it runs, taken in order by `concurrency` runners until it is closed and empty. */
class TaskQueue {
  private readonly tasks: (() => Promise<void>)[] = [];
  private next = 0;
  private closed = false;
  private waiting: (() => void)[] = [];

  push(task: () => Promise<void>): void {
    this.tasks.push(task);
    this.wakeAll();
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  /** Rejects with the first task's error once the others have settled; takes nothing new once `signal` aborts. */
  async run(concurrency: number, signal: AbortSignal): Promise<void> {
    let failure: { error: unknown } | undefined;
    const runner = async (): Promise<void> => {
      for (;;) {
        if (failure || signal.aborted) return;
        if (this.next < this.tasks.length) {
          const task = this.tasks[this.next]!;
          // Taken tasks are dropped: the queue holds a build's worth of closures otherwise.
          this.tasks[this.next++] = noop;
          try {
            await task();
          } catch (error) {
            failure ??= { error };
            return;
          }
        } else if (this.closed) return;
        else await new Promise<void>((resolve) => this.waiting.push(resolve));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
    if (failure) throw failure.error;
  }

  private wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

const noop = (): Promise<void> => Promise.resolve();

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
