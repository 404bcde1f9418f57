import { PACK_FORMAT_VERSION, type PackReport } from '../contract/build-schema.js';
import { StaleLayout, type BuildJobs } from '../processing/build-jobs.js';
import type { BuildProgressTracker } from '../processing/build-progress.js';
import type { BuildState } from '../processing/build-state.js';
import type { PackFiles } from './pack-files.js';
import { layoutPack } from './pack-format.js';
import { SourceMismatch, stagePack, type PackSource, type StagedPack } from './pack-writer.js';
import type { PackedOutput } from './previous-pack.js';
import type { StageWorkers } from './stage-worker.js';
import { layoutEntryOf, type PlannedEntry, type PlannedPack } from '../processing/plan-build.js';
import {
  changedDuringBuild,
  ProcessorFailure,
  throwIfCancelled,
  type InputChange,
} from '../processing/processors/processor.js';

export interface StageInput {
  pack: PlannedPack;
  files: PackFiles;
  /** The build's jobs: every entry not in `packed` has one (undefined when no entry needs one). */
  jobs: BuildJobs | undefined;
  /**
   * The jobs' run, when it may still be going: the pack is then laid out as soon as every output it needs is
   * described and written while the rest arrive (see `stageWhileRunning`); otherwise, or when that does not work
   * out, staged the usual way once it has ended.
   */
  running?: Promise<void> | undefined;
  /** Outputs the previous version of this pack holds, by cache key: copied from it by byte range. */
  packed?: ReadonlyMap<string, PackedOutput> | undefined;
  /** Jobs for every entry of the pack, for when the previous version turns out not to hold what it should. */
  jobsForAll: (entries: readonly PlannedEntry[]) => Promise<BuildJobs>;
  tracker: BuildProgressTracker;
  buildState: BuildState;
  signal: AbortSignal;
  workers: StageWorkers;
  project: string;
  revision: number;
}

export interface StageOutcome {
  report: Omit<PackReport, 'durationMs'>;
  /** Set when new bytes were written to a temp file (status `written`). */
  staged?: StagedPack;
  /** Index fingerprint of the pack as planned (absent when failed). */
  headerDigest?: string;
}

/**
 * Decides and stages one pack: `failed` when one of its assets failed (nothing written), `unchanged` when
 * the pack on disk was written by the packer with exactly this index and nobody touched it since, else
 * written to a temp file. Outputs the previous version holds are copied out of it; the others come from the
 * cache. A cached object that fails its digest check while being copied is evicted, rebuilt and the pack
 * staged again (once per asset); a previous version that does not hold what it should is given up (every entry
 * then comes from the cache); an input that changed since the snapshot fails its asset.
 */
export async function stagePlannedPack(input: StageInput): Promise<StageOutcome> {
  const { pack, files } = input;
  let { jobs, packed } = input;
  const base = { pack: pack.name, file: files.relativePack, entries: pack.entries.length };
  if (input.running && jobs) {
    const early = await stageWhileRunning(input, jobs);
    if (early) return early;
    await input.running;
    throwIfCancelled(input.signal);
  }
  const repaired = new Set<string>();
  for (;;) {
    await jobs?.repairsSettled();
    const fromJobs = packed ? pack.entries.filter((entry) => !packed!.has(entry.cacheKey)) : pack.entries;
    const cacheHits =
      pack.entries.length - fromJobs.length + fromJobs.filter((entry) => jobs!.isCacheHit(entry.cacheKey)).length;
    if (fromJobs.some((entry) => jobs!.hasFailed(entry.cacheKey)))
      return { report: { ...base, status: 'failed', bytes: 0, cacheHits } };
    const sources = pack.entries.map((entry): PackSource => {
      const output = packed?.get(entry.cacheKey);
      return output ? packedSource(entry, output) : jobs!.sourceOf(entry);
    });
    const layout = layoutPack(sources.map((source) => source.entry));
    const { headerDigest } = layout.index;
    const previous = input.buildState.get(pack.name);
    if (previous && input.buildState.isCurrent(files, headerDigest)) {
      return {
        report: { ...base, status: 'unchanged', digest: previous.digest, bytes: previous.bytes, cacheHits },
        headerDigest,
      };
    }
    try {
      const staged = await stagePack(files, sources, manifestBaseOf(input), input.workers, input.signal, layout);
      const file = `${files.relativeManifest.slice(0, files.relativeManifest.lastIndexOf('/') + 1)}${staged.file}`;
      return {
        report: { ...base, file, status: 'written', digest: staged.digest, bytes: staged.bytes, cacheHits },
        staged,
        headerDigest,
      };
    } catch (error) {
      if (!(error instanceof SourceMismatch)) throw error;
      const key = error.source.cacheKey;
      if (error.source.fromPack) {
        // The previous version's bytes are not what its manifest says (the disk changed under an unchanged stat).
        packed = undefined;
        jobs = await input.jobsForAll(pack.entries);
      } else if (!error.source.fromCache) jobs!.fail(key, changedDuringBuild(inputChange(error)), input.tracker);
      else if (repaired.has(key))
        jobs!.fail(
          key,
          new ProcessorFailure(
            'its cached output failed the digest check again right after being rebuilt (is the disk healthy?)',
          ),
          input.tracker,
        );
      else {
        repaired.add(key);
        await jobs!.repair(key, input.tracker);
      }
    }
  }
}

/**
 * Pipelining: stages the pack while the build's jobs still run (downloads from a remote cache, mostly). Waits until
 * the output of every entry is described (digest, size, metadata: a remote action result says them before its blob
 * arrives), lays the pack out, and feeds the writer each entry in file order once its bytes are stored, so writing
 * overlaps downloading and the bytes are those of a pack staged afterwards. Undefined (nothing left behind) when
 * that cannot be done or did not work out: a failed job, an unchanged pack, an output other than described, bytes
 * that fail their check; the caller then waits for the jobs and stages the usual way, which deals with each.
 */
async function stageWhileRunning(input: StageInput, jobs: BuildJobs): Promise<StageOutcome | undefined> {
  const { pack, files, packed } = input;
  const fromJobs = packed ? pack.entries.filter((entry) => !packed.has(entry.cacheKey)) : pack.entries;
  const described = await jobs.describedSources(fromJobs);
  if (!described) return undefined;
  const byId = new Map(described.map((source) => [source.entry.id, source]));
  const sources = pack.entries.map((entry): PackSource => {
    const output = packed?.get(entry.cacheKey);
    return output ? packedSource(entry, output) : byId.get(entry.assetId)!;
  });
  const layout = layoutPack(sources.map((source) => source.entry));
  const { headerDigest } = layout.index;
  if (input.buildState.isCurrent(files, headerDigest)) return undefined;
  try {
    const staged = await stagePack(
      files,
      sources,
      manifestBaseOf(input),
      input.workers,
      input.signal,
      layout,
      jobs.readySource,
    );
    const cacheHits =
      pack.entries.length - fromJobs.length + fromJobs.filter((entry) => jobs.isCacheHit(entry.cacheKey)).length;
    const file = `${files.relativeManifest.slice(0, files.relativeManifest.lastIndexOf('/') + 1)}${staged.file}`;
    return {
      report: {
        pack: pack.name,
        file,
        entries: pack.entries.length,
        status: 'written',
        digest: staged.digest,
        bytes: staged.bytes,
        cacheHits,
      },
      staged,
      headerDigest,
    };
  } catch (error) {
    if (error instanceof StaleLayout || error instanceof SourceMismatch) return undefined;
    throw error;
  }
}

/** An entry copied out of the previous version of its pack. */
function packedSource(entry: PlannedEntry, output: PackedOutput): PackSource {
  return {
    entry: layoutEntryOf(entry, output),
    file: output.file,
    offset: output.offset,
    fromCache: false,
    fromPack: true,
    crc: output.crc,
    cacheKey: entry.cacheKey,
  };
}

function manifestBaseOf(input: StageInput): Parameters<typeof stagePack>[2] {
  return {
    format: 'packer-pack-manifest',
    version: PACK_FORMAT_VERSION,
    pack: input.pack.name,
    project: input.project,
    revision: input.revision,
  };
}

/** A pass-through input that failed its check while being copied: gone, or other bytes (the worker says which). */
function inputChange(mismatch: SourceMismatch): InputChange {
  return /^unreadable \((ENOENT|ENOTDIR)\)$/.test(mismatch.actual) ? 'deleted' : 'changed';
}
