import { mkdirSync } from 'node:fs';
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
import { buildDirOf, packFilesOf, type PackFiles } from '../packs/pack-files.js';
import { discardPack } from '../packs/pack-writer.js';
import { recoverBuildFolder } from '../packs/recover-build.js';
import { planBuild } from './plan-build.js';
import { throwIfCancelled } from './processors/processor.js';
import { stagePlannedPack, type StageOutcome } from '../packs/stage-planned-pack.js';
import { StageWorkers } from '../packs/stage-worker.js';
import { defaultConcurrency, runPool } from './worker-pool.js';

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
}

/**
 * Builds packs from the workspace's current snapshot, pinned at the call: plan (BLOCKED with
 * `data.blockers` before anything is written), process each distinct asset once on a bounded pool
 * (outputs cached in `.packer/cache/`), stage every pack to a temp file, then, unless cancelled, put them
 * all in place and record them in the snapshot's `lastBuilds`. When some asset's processor failed, the
 * packs without failures are still put in place and the build throws BLOCKED with `data.blockers` (the
 * failures) and `data.report`. CANCELLED when `signal` aborts before the packs are put in place.
 */
export async function runBuild(workspace: Workspace, options: BuildOptions = {}): Promise<BuildReport> {
  const startedAt = performance.now();
  const signal = options.signal ?? new AbortController().signal;
  const state = workspace.state;
  const plan = planBuild(state, { packs: options.packs });
  if (plan.blockers.length > 0) {
    throw new PackerError('BLOCKED', `The build has ${plan.blockers.length} blocker(s); nothing was written. First: ${plan.blockers[0]!.message}`, {
      blockers: plan.blockers,
      warnings: plan.warnings,
      revision: plan.revision,
    });
  }
  const buildDir = buildDirOf(workspace.root, state.config).absolute;
  mkdirSync(buildDir, { recursive: true });
  // Whatever an earlier crashed build left: temp files, pack files no manifest names, its journal.
  recoverBuildFolder(workspace.root, workspace.stateDir, state.config);
  const cacheDir = path.join(workspace.stateDir, 'cache');
  // `cache.prune` waits for this build to be done with the cache (and a build for a prune).
  const releaseCache = await lockOutputCache(cacheDir);
  let cache: OutputCache;
  try {
    cache = OutputCache.open(cacheDir, { maxBytes: options.cacheMaxBytes ?? cacheCapFromEnv() });
  } catch (error) {
    releaseCache();
    throw error;
  }
  const buildState = BuildState.load(workspace.stateDir);
  const remoteCache = remoteCacheFor(workspace.root, state.config.remoteCache);
  const remote = remoteCache ? new RemoteBuildSession(remoteCache, signal) : undefined;
  const jobs = new BuildJobs(plan, cache, workspace.root, signal, remote);
  const tracker = new BuildProgressTracker(jobs.size, options.onProgress, () => jobs.failures, remote);
  const concurrency = options.concurrency ?? defaultConcurrency();
  const outcomes: (StageOutcome & { files: PackFiles; durationMs: number })[] = [];
  const workers = new StageWorkers();
  try {
    await jobs.run(tracker, concurrency);
    throwIfCancelled(signal);
    // Packs are staged side by side (each on its own worker thread), reported in config order.
    const slots: (typeof outcomes)[number][] = [];
    await runPool(plan.packs.entries(), { concurrency, signal }, async ([index, pack]) => {
      const files = packFilesOf(workspace.root, state.config, pack.name);
      tracker.report(files.relativePack);
      const outcome = await stagePlannedPack({ pack, files, jobs, tracker, buildState, signal, workers, project: state.config.name, revision: plan.revision });
      slots[index] = { ...outcome, files, durationMs: Math.round(performance.now() - startedAt) };
    }).finally(() => outcomes.push(...slots.filter(Boolean)));
    throwIfCancelled(signal);
  } catch (error) {
    for (const outcome of outcomes) if (outcome.staged) discardPack(outcome.staged);
    throw error;
  } finally {
    // Uploads read their bytes from this build's segment: they end before the cache is saved (and compacted).
    await remote?.settle();
    await workers.close();
    await cache.save().finally(releaseCache);
  }
  // Commit point: from here on the build completes even if a cancel arrives.
  const builtAt = new Date().toISOString();
  const toCommit: PackToCommit[] = [];
  for (const { report, staged, headerDigest, files } of outcomes) {
    if (report.status === 'failed' || !headerDigest || !report.digest) continue;
    const info = { pack: report.pack, digest: report.digest, entries: report.entries, bytes: report.bytes, revision: plan.revision, builtAt };
    if (staged) toCommit.push({ files, staged, info, headerDigest });
    else buildState.record(files, info, headerDigest);
  }
  const crash = options.crashHook;
  crash?.('build:packs-staged');
  const commit = commitPacks({ projectRoot: workspace.root, config: state.config, stateDir: workspace.stateDir, packs: toCommit, operationId: options.operationId }, crash);
  for (const { files, staged, info, headerDigest } of toCommit) buildState.record({ ...files, pack: staged.target }, info, headerDigest);
  buildState.save();
  crash?.('build:state-saved');
  commit.finish();
  const after = await workspace.recordBuilds(buildState.lastBuilds(state.config.packs.map((rule) => rule.name)), checkPacks(workspace.root, state.config, buildState));
  const failures: Diagnostic[] = jobs.failures;
  const report: BuildReport = {
    revision: plan.revision,
    revisionAfter: after.snapshot.revision,
    packs: outcomes.map(({ report, durationMs }) => ({ ...report, durationMs })),
    counts: { ...tracker.counts },
    assets: jobs.size,
    inputBytes: jobs.inputBytes,
    durationMs: Math.round(performance.now() - startedAt),
    failures,
    warnings: [...plan.warnings, ...(remote?.warnings ?? [])],
    ...(remote ? { remote: remote.stats } : {}),
  };
  if (failures.length > 0) {
    throw new PackerError('BLOCKED', `${failures.length} asset(s) failed to build; packs holding them were left as they were. First: ${failures[0]!.message}`, {
      blockers: failures,
      report,
    });
  }
  return report;
}

/** The LRU cap of the output cache from `PACKER_CACHE_MAX_BYTES`, when set to a valid byte count. */
export function cacheCapFromEnv(): number | undefined {
  const raw = process.env.PACKER_CACHE_MAX_BYTES;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
