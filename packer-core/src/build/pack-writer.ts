import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { PackManifest } from '../contract/build-schema.js';
import { fsyncDirectory, writeFileAtomic } from '../fs/atomic-write.js';
import { layoutPack, type LayoutEntry, type PackIndex } from './pack-format.js';
import { cancelledError } from './processors/processor.js';
import type { StageWorkers } from './stage-worker.js';

/** Where one entry's bytes come from. */
export interface PackSource {
  entry: LayoutEntry;
  /** Absolute file holding the entry's bytes at `offset` (a cache segment, or the input itself for pass-through). */
  file: string;
  offset: number;
  /** True when `file` is a cache segment (a mismatch means a corrupted cache entry, not a changed input). */
  fromCache: boolean;
  cacheKey: string;
}

/** A source whose bytes did not match the digest the entry was planned with: nothing was renamed into place. */
export class SourceMismatch extends Error {
  constructor(readonly source: PackSource, readonly actual: string) {
    super(`${source.file} does not match its expected digest`);
    this.name = 'SourceMismatch';
  }
}

/** A pack written to a temp file beside its target, not yet in place. */
export interface StagedPack {
  temp: string;
  target: string;
  manifestTarget: string;
  digest: string;
  bytes: number;
  index: PackIndex;
  manifest: PackManifest;
}

/**
 * Writes a pack to a temp file beside the target (on a worker thread, see `StageWorkers`), hashing every
 * byte it copies: each entry against its expected digest (SourceMismatch on a difference), the whole file
 * for the manifest. fsyncs it. Nothing replaces the old pack until `commitPack`; a cancel or an error
 * removes the temp file (a crash leaves it for the next build to sweep).
 */
export async function stagePack(
  target: string,
  manifestTarget: string,
  sources: readonly PackSource[],
  manifestBase: Omit<PackManifest, 'digest' | 'bytes' | 'entries'>,
  workers: StageWorkers,
  signal?: AbortSignal,
): Promise<StagedPack> {
  const { indexBytes, index } = layoutPack(sources.map((source) => source.entry));
  const byId = new Map(sources.map((source) => [source.entry.id, source]));
  const ordered = index.entries.map((entry) => byId.get(entry.id)!);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  const result = await workers.stage({
    temp,
    index: indexBytes,
    fileLength: index.fileLength,
    entries: index.entries.map((entry, at) => ({ file: ordered[at]!.file, sourceOffset: ordered[at]!.offset, size: entry.size, digest: entry.digest, offset: entry.offset })),
  }, signal);
  if ('cancelled' in result) throw cancelledError(signal);
  if ('mismatch' in result) throw new SourceMismatch(ordered[result.mismatch]!, result.actual);
  if (signal?.aborted) {
    rmSync(temp, { force: true });
    throw cancelledError(signal);
  }
  const manifest: PackManifest = { ...manifestBase, digest: result.digest, bytes: index.fileLength, entries: index.entries };
  return { temp, target, manifestTarget, digest: result.digest, bytes: index.fileLength, index, manifest };
}

/**
 * Puts a staged pack in place: rename over the old pack (atomic: readers see the old or the new file),
 * then the manifest (temp + rename), then fsync the folder. A crash between the two renames leaves a new
 * pack beside its old manifest: `verify` reports that as a manifest problem and the next build rewrites it.
 */
export function commitPack(staged: StagedPack): void {
  renameSync(staged.temp, staged.target);
  writeFileAtomic(staged.manifestTarget, `${JSON.stringify(staged.manifest, null, 2)}\n`);
  fsyncDirectory(path.dirname(staged.target));
}

/** Removes a staged pack that will not be committed. */
export function discardPack(staged: StagedPack): void {
  rmSync(staged.temp, { force: true });
}
