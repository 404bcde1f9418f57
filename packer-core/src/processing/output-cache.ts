import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EntryMetadata } from '../contract/build-schema.js';
import { SegmentFile } from '../packs/segment-file.js';
import { OutputCacheIndex, type CacheRow } from './output-cache-index.js';
import { BuildSegment } from './output-cache-segment.js';
import { readLegacyIndex, removeLegacyIndex } from './output-cache-legacy.js';

export { lockOutputCache } from './output-cache-lock.js';

/** A processed output the cache knows. */
export interface CachedOutput {
  /** sha256 hex of the output bytes. */
  digest: string;
  size: number;
  metadata: EntryMetadata;
  /** Where the bytes are: a range of a cache segment; absent for pass-through outputs (the input file itself). */
  stored?: { file: string; offset: number };
}

/** Default cap on the bytes of stored outputs (2 GiB); `PACKER_CACHE_MAX_BYTES` or the build option overrides it. */
export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;
const SEGMENT = /^(\d+)\.seg$/;
/**
 * Processed outputs in `.packer/cache/`: an index (`index.lmdb`, see OutputCacheIndex) maps a cache key (see
 * `cacheKeyOf`) to an output, whose bytes are appended to one segment file per build (`segments/<n>.seg`):
 * creating a file per output costs more than processing it on many filesystems. The cap applies to live bytes,
 * least recently used first; segments that fall under half live are compacted on save, so disk use stays under
 * twice the cap. Opening reads the segment table, not the rows; a build pays for the rows it touches.
 * Nothing read from here is trusted: the pack writer re-hashes every byte, and a mismatch evicts the entry
 * so the asset is rebuilt (see `stagePlannedPack`).
 *
 * `save` ends a build's use: it writes the index and releases the store (a later read opens it again; `close`
 * releases it without writing, for a cache only read).
 */
export class OutputCache {
  private readonly index: OutputCacheIndex;
  /** Sizes of segment files on disk, stat'ed when a lookup first points into one (-1: no such file). */
  private readonly onDisk = new Map<number, number>();
  private readonly segmentPaths = new Map<number, string>();
  private nextSegment = 1;
  /** This build's segment, made on the first output stored. */
  private building: BuildSegment | undefined;
  private readonly segmentsDir: string;
  readonly scratchDir: string;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    inspectOnly = false,
  ) {
    this.segmentsDir = path.join(dir, 'segments');
    this.scratchDir = path.join(dir, 'tmp');
    this.index = new OutputCacheIndex(dir, inspectOnly);
    if (inspectOnly) return;
    try {
      rmSync(this.scratchDir, { recursive: true, force: true });
      mkdirSync(this.scratchDir, { recursive: true });
      mkdirSync(this.segmentsDir, { recursive: true });
      if (this.index.available) {
        this.importLegacyIndex();
        this.sweepSegments();
      } else this.nextSegment = Math.max(0, ...this.segmentFiles()) + 1;
    } catch (error) {
      void this.index.release();
      throw error;
    }
  }

  static open(dir: string, options: { maxBytes?: number | undefined } = {}): OutputCache {
    return new OutputCache(dir, options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES);
  }

  /** Reads the cache without touching it (no scratch cleanup, no folders made): for `stats` while a build may run.
   * Never `save` it; `close` it. */
  static inspect(dir: string, options: { maxBytes?: number | undefined } = {}): OutputCache {
    return new OutputCache(dir, options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES, true);
  }

  /** The output for a key when it is known and its bytes (if stored) lie inside an existing segment. */
  lookup(key: string): CachedOutput | undefined {
    const row = this.index.get(key);
    if (!row) return undefined;
    if (row[4] >= 0 && this.segmentBytes(row[4]) < row[5] + row[1]) {
      this.index.set(key, null);
      return undefined;
    }
    const used: CacheRow = [row[0], row[1], Date.now(), row[3], row[4], row[5]];
    this.index.set(key, used);
    return this.toOutput(used);
  }

  /** A fresh path in the scratch folder (for a tool's work dir or a large streamed output). */
  scratchFile(suffix = ''): string {
    return path.join(this.scratchDir, randomBytes(8).toString('hex') + suffix);
  }

  /**
   * Appends output bytes to this build's segment (the caller must not change them afterwards). Small outputs are
   * batched: their range is known at once, their bytes reach the file by the next `flush` at the latest.
   */
  async storeBytes(key: string, bytes: Uint8Array, metadata: EntryMetadata, digest: string): Promise<CachedOutput> {
    const placed = await this.segment().appendBytes(bytes);
    return this.remember(key, [digest, bytes.length, Date.now(), metadata, placed.segment, placed.offset]);
  }

  /** Appends an output file (hashed while copied unless the digest is given), then removes it. */
  async storeFile(key: string, file: string, metadata: EntryMetadata, digest?: string): Promise<CachedOutput> {
    const placed = await this.segment().appendFile(file);
    rmSync(file, { force: true });
    const row: CacheRow = [digest ?? placed.digest, placed.size, Date.now(), metadata, placed.segment, placed.offset];
    return this.remember(key, row);
  }

  /** Resolves once every stored output's bytes are written (rejects if a batched write failed). */
  async flush(): Promise<void> {
    await this.building?.flush();
  }

  /** Records a pass-through output (the input file is the output). */
  recordPassthrough(key: string, output: { digest: string; size: number; metadata: EntryMetadata }): CachedOutput {
    return this.remember(key, [output.digest, output.size, Date.now(), output.metadata, -1, 0]);
  }

  /** Forgets a key (its bytes failed their digest check); they become dead space, reclaimed by compaction. */
  evict(key: string): void {
    this.index.set(key, null);
  }

  /** Entries, bytes and segments of the cache as it is now (before `save`): from counts the index keeps. */
  stats(): {
    entries: number;
    liveBytes: number;
    diskBytes: number;
    maxBytes: number;
    segments: number;
    oldestUse?: number;
    newestUse?: number;
  } {
    let diskBytes = 0;
    for (const count of this.index.segments.values()) diskBytes += count.size;
    const { oldest, newest } = this.index.useRange();
    return {
      entries: this.index.entries,
      liveBytes: this.index.liveBytes(),
      diskBytes,
      maxBytes: this.maxBytes,
      segments: this.index.segments.size,
      ...(oldest !== undefined ? { oldestUse: oldest } : {}),
      ...(newest !== undefined ? { newestUse: newest } : {}),
    };
  }

  /**
   * Forgets outputs, least recently used first, until the stored bytes fit in `maxBytes` (0: every output, the
   * pass-through ones included). `save` then deletes the segments nobody references. Returns how many went.
   */
  prune(maxBytes: number): number {
    return maxBytes <= 0 ? this.index.clear() : this.evictTo(maxBytes);
  }

  /**
   * Applies the size cap (least recently used first), compacts segments under half live into this build's
   * segment, writes the index, deletes the segments no row is in, and releases the store.
   */
  async save(): Promise<void> {
    try {
      await this.flush();
      this.evictTo(this.maxBytes);
      await this.compact();
      const written = await this.building?.close();
      this.building = undefined;
      if (written) {
        this.index.setSegmentSize(written.segment, written.size);
        this.onDisk.set(written.segment, written.size);
      }
      const empty = [...this.index.segments].filter(([, count]) => count.rows <= 0).map(([id]) => id);
      for (const id of empty) this.index.dropSegment(id);
      if (this.index.commit()) for (const id of empty) this.removeSegment(id);
      // Not indexed: this build's outputs are gone with its segment (the store still points at the old ones).
      else if (written) this.removeSegment(written.segment);
    } finally {
      await this.index.release();
    }
  }

  /** Releases the store without writing anything (after `inspect`, or a cache given up on). Never throws. */
  async close(): Promise<void> {
    await this.index.release();
  }

  private evictTo(maxBytes: number): number {
    let total = this.index.liveBytes();
    if (total <= maxBytes) return 0;
    let removed = 0;
    for (const [key, row] of this.index.leastRecentlyUsed()) {
      this.index.set(key, null);
      removed++;
      total -= row[1];
      if (total <= maxBytes) break;
    }
    return removed;
  }

  /** Copies the outputs of segments under half live into this build's segment (so their files can go). */
  private async compact(): Promise<void> {
    for (const [id, count] of [...this.index.segments]) {
      if (id === this.building?.segment || count.rows <= 0 || count.live * 2 >= count.size) continue;
      const rows = this.index.rowsIn(id);
      const from = new SegmentFile(this.segmentPath(id), id, count.size, 'read');
      try {
        for (const [key, row] of rows) {
          const placed = await this.segment().copyRange(from, row[5], row[1]);
          this.index.set(key, [row[0], row[1], row[2], row[3], placed.segment, placed.offset]);
        }
      } catch {
        // A segment cut short or gone under us: its outputs that were not copied are processed again when needed.
        for (const [key] of rows) if (this.index.get(key)?.[4] === id) this.index.set(key, null);
      } finally {
        await from.close().catch(() => undefined);
      }
    }
  }

  /**
   * Deletes segment files the index does not know (left by a build that crashed before its save, or by an index
   * that was thrown away), forgets the rows of segments whose file is gone, and picks the next segment's number.
   */
  private sweepSegments(): void {
    const files = new Set(this.segmentFiles());
    for (const id of files) if (!this.index.segments.has(id)) this.removeSegment(id);
    for (const id of [...this.index.segments.keys()]) {
      if (files.has(id)) continue;
      for (const [key] of this.index.rowsIn(id)) this.index.set(key, null);
      this.index.dropSegment(id);
    }
    this.nextSegment = Math.max(0, ...files, ...this.index.segments.keys()) + 1;
  }

  /** Moves the `index.json` (and its log) of an earlier version into the store once, then removes them. */
  private importLegacyIndex(): void {
    const rows = readLegacyIndex(this.dir);
    if (!rows) return;
    const sizes = new Map<number, number>();
    for (const [key, row] of rows) {
      if (row[4] >= 0 && !sizes.has(row[4])) sizes.set(row[4], this.segmentBytes(row[4]));
      if (row[4] >= 0 && sizes.get(row[4])! < row[5] + row[1]) continue;
      if (row[4] >= 0 && !this.index.segments.has(row[4])) this.index.setSegmentSize(row[4], sizes.get(row[4])!);
      this.index.set(key, row);
    }
    if (this.index.commit()) removeLegacyIndex(this.dir);
  }

  private segmentFiles(): number[] {
    if (!existsSync(this.segmentsDir)) return [];
    const ids: number[] = [];
    for (const name of readdirSync(this.segmentsDir)) {
      const match = SEGMENT.exec(name);
      if (match) ids.push(Number(match[1]));
    }
    return ids;
  }

  /** Bytes in a segment: this build's as reserved so far, another's as on disk (-1: no such file). */
  private segmentBytes(id: number): number {
    if (id === this.building?.segment) return this.building.size;
    let size = this.onDisk.get(id);
    if (size === undefined) {
      try {
        size = statSync(this.segmentPath(id)).size;
      } catch {
        size = -1;
      }
      this.onDisk.set(id, size);
    }
    return size;
  }

  private removeSegment(id: number): void {
    rmSync(this.segmentPath(id), { force: true });
    this.onDisk.delete(id);
  }

  private segment(): BuildSegment {
    this.building ??= new BuildSegment(this.nextSegment++, (id) => this.segmentPath(id));
    return this.building;
  }

  private remember(key: string, row: CacheRow): CachedOutput {
    this.index.set(key, row);
    if (row[4] === this.building?.segment) this.index.setSegmentSize(row[4], this.building.size);
    return this.toOutput(row);
  }

  private segmentPath(id: number): string {
    // One string per segment: every stored output of a build names the same few files.
    let known = this.segmentPaths.get(id);
    if (known === undefined) this.segmentPaths.set(id, (known = path.join(this.segmentsDir, `${id}.seg`)));
    return known;
  }

  private toOutput(row: CacheRow): CachedOutput {
    const output: CachedOutput = { digest: row[0], size: row[1], metadata: row[3] };
    if (row[4] >= 0) output.stored = { file: this.segmentPath(row[4]), offset: row[5] };
    return output;
  }
}
