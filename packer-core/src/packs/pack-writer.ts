import { randomBytes } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { PackManifest } from '../contract/build-schema.js';
import { stageFileAtomic, type StagedFile } from '../fs/atomic-write.js';
import { putPrettyJson } from '../fs/pretty-json.js';
import { contentAddressedName, type PackFiles } from './pack-files.js';
import { layoutPack, type LayoutEntry } from './pack-format.js';
import { cancelledError } from '../processing/processors/processor.js';
import type { StageEntry, StageWorkers } from './stage-worker.js';

/** Where one entry's bytes come from. */
export interface PackSource {
  entry: LayoutEntry;
  /** Absolute file holding the entry's bytes at `offset` (a cache segment, or the input itself for pass-through). */
  file: string;
  offset: number;
  /** True when `file` is a cache segment (a mismatch means a corrupted cache entry, not a changed input). */
  fromCache: boolean;
  /** True when `file` is the previous version of the pack (a mismatch means that version cannot be copied from). */
  fromPack?: boolean;
  /** The CRC-32 the bytes had when that version was written: checked instead of the digest (see StageEntry.crc). */
  crc?: number | undefined;
  cacheKey: string;
}

/** A source whose bytes did not match the digest the entry was planned with: nothing was renamed into place. */
export class SourceMismatch extends Error {
  constructor(
    readonly source: PackSource,
    readonly actual: string,
  ) {
    super(`${source.file} does not match its expected digest`);
    this.name = 'SourceMismatch';
  }
}

/** A pack written to a temp file in the build folder, not yet in place, with its manifest staged beside it. */
export interface StagedPack {
  temp: string;
  /** `<buildDir>/<name>.<digest>.pack`: where `placePack` renames it. */
  target: string;
  /** The file name the manifest gives the pack (`target`'s). */
  file: string;
  digest: string;
  bytes: number;
  /**
   * The manifest naming `target`, written and fsynced under a temp name beside `<name>.manifest.json` as soon as the
   * pack is: a build holds no manifest's entries until its commit point (13 packs of 100k entries held ~20 MB), and
   * `commitManifest` is a rename.
   */
  manifest: StagedFile;
  /** Each entry's CRC-32, in entry order (null when zlib has no crc32): kept so the next build can check bytes it
   * copies out. */
  crcs: number[] | null;
}

/**
 * Says when a planned source's bytes can be read, in file order: the source itself (ready now), or a promise of
 * it once they can (a download still running); it may answer a different location or CRC for the same bytes. A
 * throw abandons the pack (nothing is left behind) and is rethrown by `stagePack`.
 */
export type SourceReady = (source: PackSource) => PackSource | Promise<PackSource>;

/** Entries sent to the worker at once when they are ready anyway. */
const FEED_BATCH = 256;

/**
 * Writes a pack to a temp file in the build folder (on a worker thread, see `StageWorkers`), hashing every
 * byte it copies: each entry against its expected digest (SourceMismatch on a difference), the whole file
 * for the manifest and the content-addressed file name. fsyncs it, then stages the manifest naming it (written and
 * fsynced under a temp name). Nothing a reader can see changes until `placePack` and `commitManifest`; a cancel or
 * an error removes the temp files (a crash leaves them for recovery to sweep). With `ready`, the worker starts on
 * the entries whose bytes are there and is fed the others as they come, in file order (the layout, and so every
 * byte, is the same as without it).
 */
export async function stagePack(
  files: Pick<PackFiles, 'name' | 'manifest'>,
  sources: readonly PackSource[],
  manifestBase: Omit<PackManifest, 'digest' | 'bytes' | 'entries' | 'file'>,
  workers: StageWorkers,
  signal?: AbortSignal,
  layout: ReturnType<typeof layoutPack> = layoutPack(sources.map((source) => source.entry)),
  ready?: SourceReady,
): Promise<StagedPack> {
  const { indexBytes, index } = layout;
  const byId = new Map(sources.map((source) => [source.entry.id, source]));
  const ordered = index.entries.map((entry) => byId.get(entry.id)!);
  const dir = path.dirname(files.manifest);
  const temp = path.join(dir, `.${files.name}.pack.tmp-${randomBytes(6).toString('hex')}`);
  const toStage = (source: PackSource, at: number): StageEntry => {
    const entry = index.entries[at]!;
    return {
      file: source.file,
      sourceOffset: source.offset,
      size: entry.size,
      digest: entry.digest,
      offset: entry.offset,
      crc: source.crc,
    };
  };
  const header = { temp, index: indexBytes, fileLength: index.fileLength };
  const result = ready
    ? await workers.stageStream(header, feedInOrder(ordered, ready, toStage), signal)
    : await workers.stage({ ...header, entries: ordered.map(toStage) }, signal);
  if ('cancelled' in result) throw cancelledError(signal);
  if ('mismatch' in result) throw new SourceMismatch(ordered[result.mismatch]!, result.actual);
  if (signal?.aborted) {
    rmSync(temp, { force: true });
    throw cancelledError(signal);
  }
  const file = contentAddressedName(files.name, result.digest);
  const manifest: PackManifest = {
    ...manifestBase,
    file,
    digest: result.digest,
    bytes: index.fileLength,
    entries: index.entries,
  };
  let stagedManifest: StagedFile;
  try {
    stagedManifest = stageFileAtomic(files.manifest, (put) => {
      putPrettyJson(put, manifest);
      put('\n');
    });
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return {
    temp,
    target: path.join(dir, file),
    file,
    digest: result.digest,
    bytes: index.fileLength,
    manifest: stagedManifest,
    crcs: result.crcs,
  };
}

/**
 * Renames a staged pack to its content-addressed name. No manifest names that file yet, so readers (who go
 * through the manifest) still see the previous version; an identical version already there is replaced by
 * the same bytes.
 */
export function placePack(staged: StagedPack): void {
  renameSync(staged.temp, staged.target);
}

/**
 * The commit point of one pack: the manifest naming the new file, staged and fsynced with the pack, replaces the
 * old one atomically (rename, fsync folder). The pack it names must already be in place and durable.
 */
export function commitManifest(staged: StagedPack): void {
  staged.manifest.commit();
}

/** Removes a staged pack and its staged manifest: they will not be committed. */
export function discardPack(staged: StagedPack): void {
  rmSync(staged.temp, { force: true });
  staged.manifest.discard();
}

/**
 * The entries of `ordered` as the worker takes them: batches of those ready now, cut where one must be waited for.
 * Each source is replaced in `ordered` by what `ready` answered for it (so a mismatch names the bytes really read).
 */
async function* feedInOrder(
  ordered: PackSource[],
  ready: SourceReady,
  toStage: (source: PackSource, at: number) => StageEntry,
): AsyncGenerator<StageEntry[]> {
  let batch: StageEntry[] = [];
  for (let at = 0; at < ordered.length; at++) {
    let source = ready(ordered[at]!);
    if (source instanceof Promise) {
      if (batch.length > 0) yield batch;
      batch = [];
      source = await source;
    }
    ordered[at] = source;
    batch.push(toStage(source, at));
    if (batch.length >= FEED_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
