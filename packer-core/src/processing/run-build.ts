import { mkdirSync } from 'node:fs';
import { withBuildFailureHint } from './build-failure-hint.js';
import path from 'node:path';
import type { BuildReport } from '../contract/build-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import { PackerError } from '../contract/errors.js';
import type { Workspace } from '../workspace/workspace.js';
import { BuildProgressTracker, type BuildProgress } from './build-progress.js';
import { BuildState } from './build-state.js';
import { BuildJobs } from './build-jobs.js';
import { lockOutputCache, OutputCache } from './output-cache.js';
import { remoteCacheFor } from './remote-cache/remote-cache.js';
import { RemoteBuildSession } from './remote-cache/remote-build-session.js';
import type { BuildCrashHook } from './build-crash-points.js';
import { commitPacks, type PackToCommit } from '../packs/commit-packs.js';
import { checkPacks } from '../packs/pack-health.js';
import { buildDirOf, type PackFiles } from '../packs/pack-files.js';
import { discardPack } from '../packs/pack-writer.js';
import { isSimulatedCrash } from '../commit/commit-journal.js';
import { recoverBuildFolder } from '../packs/recover-build.js';
import { planBuild, type PackPlan, type PlannedEntry, type PlannedPack } from './plan-build.js';
import { cacheCapFromEnv } from './cache-cap.js';
import { packedOutputs, packInputsOf, savePackInputs, type PackInputs } from '../packs/previous-pack.js';
import { throwIfCancelled } from './processors/processor.js';
import { stagePlannedPack, type StageOutcome } from '../packs/stage-planned-pack.js';
import { StageWorkers } from '../packs/stage-worker.js';
import { defaultConcurrency, runPool } from './worker-pool.js';

/** Packs staged at once while jobs run (each holds a worker thread and its 4 MiB buffer). */
const MAX_PACKS_AT_ONCE = 8;

export interface BuildOptions {
  /** Pack names to build (default: all). */
  packs?: readonly string[] | undefined;
  /** Aborting stops the build promptly: running tools are killed, nothing replaces the previous packs. */
  signal?: AbortSignal | undefined;
  /** Processor calls in flight at once (default: the number of cores). */
  concurrency?: number | undefined;
  /** Size cap of the output cache in bytes (default: PACKER_CACHE_MAX_BYTES, else 2 GiB). */
  cacheMaxBytes?: number | undefined;
  /** Called after every asset (cumulative counts) and when a pack is being written. */
  onProgress?: ((progress: BuildProgress) => void) | undefined;
  /** The lane operation running this build, recorded in the build journal so crash recovery can name it. */
  operationId?: string | undefined;
  /** Failure injection between the steps that put packs in place (tests: the daemon's test entry passes one). */
  crashHook?: BuildCrashHook | undefined;
  /**
   * Gives the memory a large build no longer holds back to the system (the daemon passes a full garbage collection).
   * Called by a build that made entries for at least RELEASE_MEMORY_ENTRIES assets: once every pack is staged,
   * before the output cache's index is written, and when it ends.
   */
  releaseMemory?: (() => void) | undefined;
}

/**
 * Builds that write packs of this many entries in all ask for `releaseMemory` (a cold build at 100k assets: its
 * outputs, entries and processing buffers, ~60 MB, are garbage when the index's write transaction takes its ~25 MB
 * of dirty pages). Smaller ones, a one-file build among them, leave that to the garbage collector's own pace.
 */
const RELEASE_MEMORY_ENTRIES = 20_000;

/**
 * Builds packs from the workspace's current snapshot, pinned at the call: plan (BLOCKED with
 * `data.blockers` before anything is written), process each distinct asset once on a bounded pool
 * (outputs cached in `.packer/cache/`), stage every pack to a temp file, then, unless cancelled, put them
 * all in place and record them in the snapshot's `lastBuilds`. When some asset's processor failed, the
 * packs without failures are still put in place and the build throws BLOCKED with `data.blockers` (the
 * failures) and `data.report`. CANCELLED when `signal` aborts before the packs are put in place.
 */
export async function runBuild(workspace: Workspace, options: BuildOptions = {}): Promise<BuildReport> {
  const made = { entries: 0 };
  try {
    return await buildOnce(workspace, options, made);
  } catch (error) {
    // A full disk says which file and what to do, as a failed mutation does.
    throw withBuildFailureHint(error);
  } finally {
    if (made.entries >= RELEASE_MEMORY_ENTRIES) options.releaseMemory?.();
  }
}

async function buildOnce(workspace: Workspace, options: BuildOptions, made: { entries: number }): Promise<BuildReport> {
  const startedAt = performance.now();
  const signal = options.signal ?? new AbortController().signal;
  const state = workspace.state;
  const plan = planBuild(state, { packs: options.packs });
  if (plan.blockers.length > 0) {
    throw new PackerError(
      'BLOCKED',
      `The build has ${plan.blockers.length} blocker(s); nothing was written. First: ${plan.blockers[0]!.message}`,
      {
        blockers: plan.blockers,
        warnings: plan.warnings,
        revision: plan.revision,
      },
    );
  }
  const { config } = state;
  const buildDir = buildDirOf(workspace.root, config).absolute;
  mkdirSync(buildDir, { recursive: true });
  // Whatever an earlier crashed build left: temp files, pack files no manifest names, its journal.
  recoverBuildFolder(workspace.root, workspace.stateDir, config);
  const buildState = BuildState.load(workspace.stateDir);
  // Each pack is up to date (its inputs fingerprint as when it was last written and its files untouched: nothing
  // to do), or written again, copying what its previous version holds and taking the rest from jobs. An up-to-date
  // pack needs its fingerprint only. The entries of a pack to write (made once, by its fingerprint when that is new)
  // are held by `toWrite` until it is staged, then only their ids and cache keys (`writtenInputs`): at the end of a
  // cold build the output cache's index is written, and 100k entries would be dead weight then.
  const toWrite = new Map<string, PlannedPack>();
  const writtenInputs = new Map<string, PackInputs>();
  // What jobs must make, per pack: its entries not in its previous version.
  const needed: PlannedPack[] = [];
  const packs = plan.packs.map((plannedPack) => {
    const files = buildState.packFiles(workspace.root, config, plannedPack.name);
    let fingerprinted: PlannedPack | undefined;
    const inputs = plannedPack.fingerprint(config.name, (pack) => (fingerprinted = pack));
    if (buildState.isUpToDate(files, inputs)) return { plan: plannedPack, files, inputs, upToDate: true as const };
    const pack = fingerprinted ?? plannedPack.planned();
    const previous = buildState.get(pack.name);
    const packed =
      previous && buildState.wrote(files) ? packedOutputs(workspace.stateDir, files, previous.digest) : undefined;
    toWrite.set(pack.name, pack);
    made.entries += pack.entries.length;
    needed.push({
      name: pack.name,
      entries: packed ? pack.entries.filter((entry) => !packed.has(entry.cacheKey)) : pack.entries,
    });
    return { plan: plannedPack, files, inputs, upToDate: false as const, packed };
  });
  const neededEntries = new Map(needed.map((pack) => [pack.name, pack.entries]));
  const remoteCache = remoteCacheFor(workspace.root, config.remoteCache);
  const remote = remoteCache ? new RemoteBuildSession(remoteCache, signal) : undefined;
  const allJobs: BuildJobs[] = [];
  const counted = countAssets(plan.packs, needed);
  const tracker = new BuildProgressTracker(counted.assets, options.onProgress, () => failuresOf(allJobs), remote);
  const concurrency = options.concurrency ?? defaultConcurrency();
  // The output cache is opened only when some output is not in a pack already (a no-change build never opens it).
  let cache: { cache: OutputCache; release: () => void } | undefined;
  const cacheDir = path.join(workspace.stateDir, 'cache');
  const openCache = async (): Promise<OutputCache> => {
    if (cache) return cache.cache;
    // `cache.prune` waits for this build to be done with the cache (and a build for a prune).
    const release = await lockOutputCache(cacheDir);
    try {
      cache = { cache: OutputCache.open(cacheDir, { maxBytes: options.cacheMaxBytes ?? cacheCapFromEnv() }), release };
    } catch (error) {
      release();
      throw error;
    }
    return cache.cache;
  };
  const newJobs = async (packsToRun: PlannedPack[]): Promise<BuildJobs> => {
    const jobs = new BuildJobs(packsToRun, await openCache(), workspace.root, signal, remote);
    allJobs.push(jobs);
    return jobs;
  };
  const outcomes: (StageOutcome & { files: PackFiles; inputs: string; upToDate: boolean; durationMs: number })[] = [];
  const workers = new StageWorkers();
  // A build that fails before its commit point removes the packs and manifests it staged (a simulated crash leaves
  // them, as a real one would, for recovery to sweep). Those already put in place are not touched.
  const discardStaged = (error: unknown): void => {
    if (isSimulatedCrash(error)) return;
    for (const outcome of outcomes) if (outcome.staged) discardPack(outcome.staged);
  };
  try {
    const jobs = needed.some((pack) => pack.entries.length > 0) ? await newJobs(needed) : undefined;
    needed.length = 0; // the jobs hold their own list
    // Assets no job covers are settled already: their outputs are in packs (reported as cached, all at once).
    tracker.finishedMany(counted.settled, counted.settledBytes, 'cached');
    // Packs are written while the jobs still run (downloads, processing): each as soon as the outputs it holds are
    // described, fed in file order as their bytes arrive (see stagePlannedPack).
    const running = jobs?.run(tracker, concurrency);
    running?.catch(() => undefined);
    // A previous version that does not hold what it should: every entry of the pack from jobs of its own.
    const jobsForAll = async (entries: readonly PlannedEntry[]): Promise<BuildJobs> => {
      const extra = await newJobs([{ name: 'all', entries: [...entries] }]);
      const own = new BuildProgressTracker(extra.size, undefined);
      await extra.run(own, concurrency);
      tracker.recount(own.counts.processed, 'processed');
      tracker.recount(own.counts.failed, 'failed');
      return extra;
    };
    // Packs are staged side by side (each on its own worker thread), reported in config order. A pack written while
    // its outputs arrive mostly waits for them: more of them at once than cores, so that the last packs are not all
    // left to write after the last download.
    const slots: (typeof outcomes)[number][] = [];
    const stagingSlots = jobs ? Math.max(concurrency, Math.min(packs.length, MAX_PACKS_AT_ONCE)) : concurrency;
    const staging = runPool(packs.entries(), { concurrency: stagingSlots, signal }, async ([index, item]) => {
      const { files, inputs } = item;
      if (item.upToDate) {
        const previous = buildState.get(item.plan.name)!;
        const report = {
          pack: item.plan.name,
          file: files.relativePack,
          entries: item.plan.count,
          status: 'unchanged' as const,
          digest: previous.digest,
          bytes: previous.bytes,
          cacheHits: item.plan.count,
        };
        slots[index] = { report, files, inputs, upToDate: true, durationMs: Math.round(performance.now() - startedAt) };
        return;
      }
      const pack = toWrite.get(item.plan.name)!;
      tracker.report(files.relativePack);
      const outcome = await stagePlannedPack({
        pack,
        files,
        jobs,
        running,
        packed: item.packed,
        jobsForAll,
        tracker,
        buildState,
        signal,
        workers,
        project: config.name,
        revision: plan.revision,
      });
      // Its outputs are written: held no longer than the packs still to be staged need them.
      const fromJobs = neededEntries.get(pack.name);
      if (jobs && fromJobs) jobs.packDone(fromJobs);
      neededEntries.delete(pack.name);
      if (outcome.report.status !== 'failed') writtenInputs.set(pack.name, packInputsOf(pack.entries));
      toWrite.delete(pack.name);
      slots[index] = {
        ...outcome,
        files,
        inputs,
        upToDate: false,
        durationMs: Math.round(performance.now() - startedAt),
      };
    }).finally(() => outcomes.push(...slots.filter(Boolean)));
    // Both end before anything is cleaned up: the jobs store into the cache that `finally` saves.
    const [ran, staged] = await Promise.allSettled([running, staging]);
    if (ran.status === 'rejected') throw ran.reason;
    if (staged.status === 'rejected') throw staged.reason;
    throwIfCancelled(signal);
  } catch (error) {
    discardStaged(error);
    throw error;
  } finally {
    try {
      // Uploads read their bytes from this build's segment: they end before the cache is saved (and compacted).
      await remote?.settle();
      await workers.close();
      // Every pack is staged (or the build is given up): only the failures are still read from the jobs.
      for (const jobs of allJobs) jobs.release();
      if (made.entries >= RELEASE_MEMORY_ENTRIES) options.releaseMemory?.();
      if (cache) await cache.cache.save().finally(cache.release);
    } catch (error) {
      discardStaged(error);
      // eslint-disable-next-line no-unsafe-finally -- a failure here is the build's failure
      throw error;
    }
  }
  // Commit point: from here on the build completes even if a cancel arrives.
  const builtAt = new Date().toISOString();
  const toCommit: (PackToCommit & { inputs: string; packInputs: PackInputs })[] = [];
  let recorded = false;
  for (const { report, staged, headerDigest, files, inputs, upToDate } of outcomes) {
    if (upToDate || report.status === 'failed' || !headerDigest || !report.digest) continue;
    const info = {
      pack: report.pack,
      digest: report.digest,
      entries: report.entries,
      bytes: report.bytes,
      revision: plan.revision,
      builtAt,
    };
    const packInputs = writtenInputs.get(report.pack)!;
    if (staged) {
      const previous = buildState.get(files.name);
      toCommit.push({
        files,
        staged,
        info,
        headerDigest,
        inputs,
        packInputs,
        ...(previous && buildState.wrote(files)
          ? { previous: { file: path.basename(files.pack), digest: previous.digest } }
          : {}),
      });
    } else {
      // Unchanged by its index, built before input fingerprints were kept: remember them from now on.
      buildState.record(files, info, headerDigest, inputs);
      savePackInputs(workspace.stateDir, files.name, report.digest, packInputs);
      recorded = true;
    }
  }
  const crash = options.crashHook;
  crash?.('build:packs-staged');
  let commit: ReturnType<typeof commitPacks>;
  try {
    commit = commitPacks(
      {
        projectRoot: workspace.root,
        config,
        stateDir: workspace.stateDir,
        packs: toCommit,
        operationId: options.operationId,
        manifestedFile: buildState.manifestedFile,
      },
      crash,
    );
  } catch (error) {
    discardStaged(error);
    throw error;
  }
  for (const { files, staged, info, headerDigest, inputs } of toCommit)
    buildState.record({ ...files, pack: staged.target }, info, headerDigest, inputs);
  if (toCommit.length > 0 || recorded) buildState.save();
  crash?.('build:state-saved');
  for (const { files, staged, packInputs } of toCommit)
    savePackInputs(workspace.stateDir, files.name, staged.digest, packInputs, staged.crcs);
  commit.finish();
  // A build that wrote nothing publishes no new revision, unless the packs on disk are no longer what the snapshot
  // says.
  const lastBuilds = buildState.lastBuilds(config.packs.map((rule) => rule.name));
  const packDiagnostics = checkPacks(workspace.root, config, buildState);
  const current = workspace.state.snapshot;
  const same =
    toCommit.length === 0 &&
    !recorded &&
    sameJson(current.lastBuilds, lastBuilds) &&
    sameJson(
      current.diagnostics.filter((item) => item.code === 'PACK_UNVERIFIED'),
      packDiagnostics,
    );
  const after = same ? workspace.state : await workspace.recordBuilds(lastBuilds, packDiagnostics);
  // Packs and their manifests went through: writes a full disk held back (the digest cache…) are retried now.
  workspace.retryAfterWrites();
  const failures: Diagnostic[] = failuresOf(allJobs);
  const report: BuildReport = {
    revision: plan.revision,
    revisionAfter: after.snapshot.revision,
    packs: outcomes.map(({ report, durationMs }) => ({ ...report, durationMs })),
    counts: { ...tracker.counts },
    assets: counted.assets,
    inputBytes: counted.inputBytes,
    durationMs: Math.round(performance.now() - startedAt),
    failures,
    warnings: [...plan.warnings, ...(remote?.warnings ?? [])],
    ...(remote ? { remote: remote.stats } : {}),
  };
  if (failures.length > 0) {
    throw new PackerError(
      'BLOCKED',
      `${failures.length} asset(s) failed to build; packs holding them were left as they were. First: ${failures[0]!.message}`,
      {
        blockers: failures,
        report,
      },
    );
  }
  return report;
}

/** The failures of every job set of a build, one per asset and code (a pack's fallback jobs may repeat one). */
function failuresOf(all: readonly BuildJobs[]): Diagnostic[] {
  if (all.length === 1) return all[0]!.failures;
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const jobs of all) {
    for (const failure of jobs.failures) {
      const key = `${failure.assetId}\0${failure.code}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(failure);
    }
  }
  return out.sort((a, b) => (a.path! < b.path! ? -1 : a.path! > b.path! ? 1 : 0));
}

/**
 * The distinct assets of a plan and their bytes, and those no job covers (their outputs are in packs already).
 * Counts only: a map of every asset kept through the build held 100k entries to the end. The plan's own totals are
 * counted once per plan (a no-change build made a 100k map each time); what the jobs cover is counted from them.
 */
function countAssets(
  packs: readonly PackPlan[],
  needed: readonly { entries: readonly PlannedEntry[] }[],
): { assets: number; inputBytes: number; settled: number; settledBytes: number } {
  let totals = planTotals.get(packs);
  if (!totals) {
    const distinct = new Map<string, number>();
    for (const pack of packs) pack.forEachAsset((assetId, size) => distinct.set(assetId, size));
    totals = { assets: distinct.size, inputBytes: 0 };
    for (const size of distinct.values()) totals.inputBytes += size;
    planTotals.set(packs, totals);
  }
  const withJobs = new Map<string, number>();
  for (const pack of needed) for (const entry of pack.entries) withJobs.set(entry.assetId, entry.size);
  let jobBytes = 0;
  for (const size of withJobs.values()) jobBytes += size;
  return {
    assets: totals.assets,
    inputBytes: totals.inputBytes,
    settled: totals.assets - withJobs.size,
    settledBytes: totals.inputBytes - jobBytes,
  };
}

/** A plan's distinct assets and their bytes, by its (immutable, memoised) list of packs. */
const planTotals = new WeakMap<readonly PackPlan[], { assets: number; inputBytes: number }>();

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export { cacheCapFromEnv } from './cache-cap.js';
