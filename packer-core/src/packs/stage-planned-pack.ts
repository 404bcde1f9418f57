import { PACK_FORMAT_VERSION, type PackReport } from '../contract/build-schema.js';
import type { BuildJobs } from '../processing/build-jobs.js';
import type { BuildProgressTracker } from '../processing/build-progress.js';
import type { BuildState } from '../processing/build-state.js';
import type { PackFiles } from './pack-files.js';
import { layoutPack } from './pack-format.js';
import { SourceMismatch, stagePack, type StagedPack } from './pack-writer.js';
import type { StageWorkers } from './stage-worker.js';
import type { PlannedPack } from '../processing/plan-build.js';
import { changedDuringBuild, ProcessorFailure } from '../processing/processors/processor.js';

export interface StageInput {
  pack: PlannedPack;
  files: PackFiles;
  jobs: BuildJobs;
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
 * written to a temp file. A cached object that fails its digest check while being copied is evicted,
 * rebuilt and the pack staged again (once per asset); an input that changed since the snapshot fails its asset.
 */
export async function stagePlannedPack(input: StageInput): Promise<StageOutcome> {
  const { pack, files, jobs } = input;
  const base = { pack: pack.name, file: files.relativePack, entries: pack.entries.length };
  const repaired = new Set<string>();
  for (;;) {
    await jobs.repairsSettled();
    const cacheHits = pack.entries.filter((entry) => jobs.isCacheHit(entry.cacheKey)).length;
    if (pack.entries.some((entry) => jobs.hasFailed(entry.cacheKey))) return { report: { ...base, status: 'failed', bytes: 0, cacheHits } };
    const sources = pack.entries.map((entry) => jobs.sourceOf(entry));
    const { headerDigest } = layoutPack(sources.map((source) => source.entry)).index;
    const previous = input.buildState.get(pack.name);
    if (previous && input.buildState.isCurrent(files, headerDigest)) {
      return { report: { ...base, status: 'unchanged', digest: previous.digest, bytes: previous.bytes, cacheHits }, headerDigest };
    }
    try {
      const staged = await stagePack(files, sources, {
        format: 'packer-pack-manifest',
        version: PACK_FORMAT_VERSION,
        pack: pack.name,
        project: input.project,
        revision: input.revision,
      }, input.workers, input.signal);
      const file = `${files.relativeManifest.slice(0, files.relativeManifest.lastIndexOf('/') + 1)}${staged.manifest.file}`;
      return { report: { ...base, file, status: 'written', digest: staged.digest, bytes: staged.bytes, cacheHits }, staged, headerDigest };
    } catch (error) {
      if (!(error instanceof SourceMismatch)) throw error;
      const key = error.source.cacheKey;
      if (!error.source.fromCache) jobs.fail(key, changedDuringBuild(), input.tracker);
      else if (repaired.has(key)) jobs.fail(key, new ProcessorFailure('its cached output failed the digest check again right after being rebuilt (is the disk healthy?)'), input.tracker);
      else {
        repaired.add(key);
        await jobs.repair(key, input.tracker);
      }
    }
  }
}
