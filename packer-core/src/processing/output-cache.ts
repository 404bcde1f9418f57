import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { EntryMetadata } from '../contract/build-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { SegmentFile } from '../packs/segment-file.js';

/** A processed output the cache knows. */
export interface CachedOutput {
  /** sha256 hex of the output bytes. */
  digest: string;
  size: number;
  metadata: EntryMetadata;
  /** Where the bytes are: a range of a cache segment; absent for pass-through outputs (the input file itself). */
  stored?: { file: string; offset: number };
}

// [digest, size, lastUsed, metadata, segment (-1: pass-through), offset]
type Row = [digest: string, size: number, lastUsed: number, metadata: EntryMetadata, segment: number, offset: number];

/** Default cap on the bytes of stored outputs (2 GiB); `PACKER_CACHE_MAX_BYTES` or the build option overrides it. */
export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;
const SEGMENT = /^(\d+)\.seg$/;
const LOG = /^index-(\d+)\.log$/;
/** Past this many bytes of log, the next save writes the whole index again. */
const MAX_LOG_BYTES = 4 << 20;
/**
 * Outputs smaller than this are gathered and appended in one write once this many bytes wait (or at `flush`):
 * a write per output costs a thread-pool round trip each, which a build of 10k small outputs feels.
 */
const WRITE_BATCH_BYTES = 1 << 20;

const cacheLocks = new Map<string, Promise<void>>();

/**
 * Waits until nobody else in this process holds the cache in `dir`, then holds it; call the returned function to
 * let the next one in. A build holds it from open to save, so a prune never deletes a segment under a build.
 */
export async function lockOutputCache(dir: string): Promise<() => void> {
  const previous = cacheLocks.get(dir) ?? Promise.resolve();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => held);
  cacheLocks.set(dir, chained);
  await previous;
  return () => {
    release();
    if (cacheLocks.get(dir) === chained) cacheLocks.delete(dir);
  };
}

/**
 * Processed outputs in `.packer/cache/`: `index.json` maps a cache key (see `cacheKeyOf`) to an output, whose
 * bytes are appended to one segment file per build (`segments/<n>.seg`): creating a file per output costs
 * more than processing it on many filesystems. The cap applies to live bytes, least recently used first;
 * segments that fall under half live are compacted on save, so disk use stays under twice the cap.
 * Nothing read from here is trusted: the pack writer re-hashes every byte, and a mismatch evicts the entry
 * so the asset is rebuilt (see `stagePlannedPack`).
 */
export class OutputCache {
  private rows: Map<string, Row> = new ChangeTrackingMap(this);
  /** Rows set (or deleted: null) since the index was read or written: what `save` appends to the index log. */
  readonly changed = new Map<string, Row | null>();
  /** Set when the whole index must be written again (a prune, a compaction). */
  rewrite = false;
  private generation = 0;
  private logBytes = 0;
  private readonly segmentSizes = new Map<number, number>();
  private writer: SegmentFile | undefined;
  /** Small outputs not yet written: they follow the writer's reserved bytes in this order. */
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  /** Writes started and not yet done, and the first one that failed (rethrown by every later `flush`). */
  private readonly writing = new Set<Promise<void>>();
  private writeError: unknown;
  /** Whole-file appends whose segment range is not reserved yet: small outputs wait for them (see storeBytes). */
  private readonly fileAppends = new Set<Promise<unknown>>();
  private readonly indexFile: string;
  private readonly segmentsDir: string;
  readonly scratchDir: string;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    inspectOnly = false,
  ) {
    this.indexFile = path.join(dir, 'index.json');
    this.segmentsDir = path.join(dir, 'segments');
    this.scratchDir = path.join(dir, 'tmp');
    if (!inspectOnly) {
      rmSync(this.scratchDir, { recursive: true, force: true });
      mkdirSync(this.scratchDir, { recursive: true });
      mkdirSync(this.segmentsDir, { recursive: true });
    }
    for (const name of existsSync(this.segmentsDir) ? readdirSync(this.segmentsDir) : []) {
      const match = SEGMENT.exec(name);
      if (match) this.segmentSizes.set(Number(match[1]), statSync(path.join(this.segmentsDir, name)).size);
    }
    if (!existsSync(this.indexFile)) return;
    try {
      const parsed = JSON.parse(readFileSync(this.indexFile, 'utf8')) as {
        version?: number;
        generation?: number;
        rows?: Record<string, Row>;
      };
      if (parsed.version === 2 && parsed.rows) {
        this.rows = new ChangeTrackingMap(this, Object.entries(parsed.rows));
        this.generation = Number.isSafeInteger(parsed.generation) ? parsed.generation! : 0;
      }
    } catch {
      // A damaged index is only a cache: start empty; unreferenced segments are removed on save.
    }
    this.replayLog(inspectOnly);
    this.changed.clear();
  }

  /**
   * Applies the index log of this index's generation (rows set or deleted by builds since the index was written
   * whole: a one-file build appends a line instead of rewriting a 100,000-row index). A torn last line (a crash
   * while appending) ends the replay; the logs of other generations are stale and removed.
   */
  private replayLog(inspectOnly: boolean): void {
    for (const name of readdirSync(this.dir)) {
      const match = LOG.exec(name);
      if (!match) continue;
      if (Number(match[1]) !== this.generation) {
        if (!inspectOnly) rmSync(path.join(this.dir, name), { force: true });
        continue;
      }
      const text = readFileSync(path.join(this.dir, name), 'utf8');
      this.logBytes = Buffer.byteLength(text);
      for (const line of text.split('\n')) {
        if (!line) continue;
        let change: [string, Row | null];
        try {
          change = JSON.parse(line) as [string, Row | null];
        } catch {
          break;
        }
        if (!Array.isArray(change) || typeof change[0] !== 'string') break;
        if (change[1]) this.rows.set(change[0], change[1]);
        else this.rows.delete(change[0]);
      }
    }
  }

  private logFile(generation: number): string {
    return path.join(this.dir, `index-${generation}.log`);
  }

  /**
   * Writes what changed: appended to the log when it is a small part of the index, else the whole index under a
   * new generation (the log of the old one is then stale: removed, and ignored if a crash leaves it).
   */
  private writeIndex(): void {
    if (!this.rewrite && this.changed.size === 0) return;
    const lines =
      this.rewrite || this.changed.size * 4 > this.rows.size
        ? undefined
        : [...this.changed].map((change) => JSON.stringify(change)).join('\n') + '\n';
    if (lines !== undefined && this.logBytes + lines.length <= MAX_LOG_BYTES) {
      appendFileSync(this.logFile(this.generation), lines);
      this.logBytes += Buffer.byteLength(lines);
    } else {
      const previous = this.logFile(this.generation);
      this.generation++;
      writeFileAtomic(
        this.indexFile,
        JSON.stringify({ version: 2, generation: this.generation, rows: Object.fromEntries(this.rows) }),
      );
      rmSync(previous, { force: true });
      this.logBytes = 0;
    }
    this.changed.clear();
    this.rewrite = false;
  }

  static open(dir: string, options: { maxBytes?: number | undefined } = {}): OutputCache {
    return new OutputCache(dir, options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES);
  }

  /** Reads the cache without touching it (no scratch cleanup, no folders made): for `stats` while a build may run.
   * Never `save` it. */
  static inspect(dir: string, options: { maxBytes?: number | undefined } = {}): OutputCache {
    return new OutputCache(dir, options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES, true);
  }

  /** The output for a key when it is known and its bytes (if stored) lie inside an existing segment. */
  lookup(key: string): CachedOutput | undefined {
    const row = this.rows.get(key);
    if (!row) return undefined;
    if (row[4] >= 0 && (this.segmentSizes.get(row[4]) ?? -1) < row[5] + row[1]) {
      this.rows.delete(key);
      return undefined;
    }
    row[2] = Date.now();
    this.changed.set(key, row);
    return this.toOutput(row);
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
    // A file append reserves its range only after a stat: the batch's offsets are known once it has.
    while (this.fileAppends.size > 0) await Promise.allSettled(this.fileAppends);
    const writer = this.segment();
    if (bytes.length >= WRITE_BATCH_BYTES) {
      this.startBatchWrite();
      const offset = await writer.append(bytes);
      return this.remember(key, [digest, bytes.length, Date.now(), metadata, writer.id, offset]);
    }
    // The batch is appended (and so reserved) before anything else is: its bytes follow the writer's reserved ones.
    const offset = writer.size + this.batchBytes;
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    const output = this.remember(key, [digest, bytes.length, Date.now(), metadata, writer.id, offset]);
    if (this.batchBytes >= WRITE_BATCH_BYTES) await this.flush();
    return output;
  }

  /** Appends an output file (hashed while copied unless the digest is given), then removes it. */
  async storeFile(key: string, file: string, metadata: EntryMetadata, digest?: string): Promise<CachedOutput> {
    const writer = this.segment();
    this.startBatchWrite();
    const appending = writer.appendFile(file);
    this.fileAppends.add(appending);
    let copied: Awaited<typeof appending>;
    try {
      copied = await appending;
    } finally {
      this.fileAppends.delete(appending);
    }
    rmSync(file, { force: true });
    return this.remember(key, [digest ?? copied.digest, copied.size, Date.now(), metadata, writer.id, copied.offset]);
  }

  /** Resolves once every stored output's bytes are written (rejects if a batched write failed). */
  async flush(): Promise<void> {
    this.startBatchWrite();
    while (this.writing.size > 0) await Promise.allSettled(this.writing);
    const failed = this.writeError;
    if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
  }

  /** Records a pass-through output (the input file is the output). */
  recordPassthrough(key: string, output: { digest: string; size: number; metadata: EntryMetadata }): CachedOutput {
    return this.remember(key, [output.digest, output.size, Date.now(), output.metadata, -1, 0]);
  }

  /** Forgets a key (its bytes failed their digest check); they become dead space, reclaimed by compaction. */
  evict(key: string): void {
    this.rows.delete(key);
  }

  /** Entries, bytes and segments of the cache as it is now (before `save`). */
  stats(): {
    entries: number;
    liveBytes: number;
    diskBytes: number;
    maxBytes: number;
    segments: number;
    oldestUse?: number;
    newestUse?: number;
  } {
    let liveBytes = 0;
    let oldestUse: number | undefined;
    let newestUse: number | undefined;
    for (const row of this.rows.values()) {
      if (row[4] >= 0) liveBytes += row[1];
      oldestUse = oldestUse === undefined ? row[2] : Math.min(oldestUse, row[2]);
      newestUse = newestUse === undefined ? row[2] : Math.max(newestUse, row[2]);
    }
    let diskBytes = 0;
    for (const size of this.segmentSizes.values()) diskBytes += size;
    return {
      entries: this.rows.size,
      liveBytes,
      diskBytes,
      maxBytes: this.maxBytes,
      segments: this.segmentSizes.size,
      ...(oldestUse !== undefined ? { oldestUse } : {}),
      ...(newestUse !== undefined ? { newestUse } : {}),
    };
  }

  /**
   * Forgets outputs, least recently used first, until the stored bytes fit in `maxBytes` (0: every output, the
   * pass-through ones included). `save` then deletes the segments nobody references. Returns how many went.
   */
  prune(maxBytes: number): number {
    const before = this.rows.size;
    if (maxBytes <= 0) this.rows.clear();
    const stored = [...this.rows.entries()].filter(([, row]) => row[4] >= 0).sort((a, b) => a[1][2] - b[1][2]);
    let total = stored.reduce((sum, [, row]) => sum + row[1], 0);
    for (const [key, row] of stored) {
      if (total <= maxBytes) break;
      this.rows.delete(key);
      total -= row[1];
    }
    return before - this.rows.size;
  }

  /**
   * Applies the size cap (least recently used first), compacts segments under half live into this build's
   * segment, writes the index, then deletes segments it no longer references.
   */
  async save(): Promise<void> {
    await this.flush();
    let total = 0;
    for (const row of this.rows.values()) if (row[4] >= 0) total += row[1];
    // Sorting every row by last use is the cost of a save: only when over the cap.
    if (total > this.maxBytes) {
      const stored = [...this.rows.entries()].filter(([, row]) => row[4] >= 0).sort((a, b) => a[1][2] - b[1][2]);
      for (const [key, row] of stored) {
        if (total <= this.maxBytes) break;
        this.rows.delete(key);
        total -= row[1];
      }
    }
    const live = this.liveBySegment();
    for (const [id, size] of this.segmentSizes) {
      const bytes = live.get(id) ?? 0;
      if (id === this.writer?.id || bytes === 0 || bytes * 2 >= size) continue;
      const from = new SegmentFile(this.segmentPath(id), id, size, 'read');
      this.rewrite = true;
      try {
        for (const row of this.rows.values())
          if (row[4] === id)
            [row[4], row[5]] = [this.segment().id, await this.segment().copyRange(from, row[5], row[1])];
      } finally {
        await from.close();
      }
    }
    if (this.writer) {
      await this.writer.close();
      this.segmentSizes.set(this.writer.id, this.writer.size);
      this.writer = undefined;
    }
    this.writeIndex();
    const referenced = new Set([...this.rows.values()].map((row) => row[4]));
    for (const id of [...this.segmentSizes.keys()]) {
      if (referenced.has(id)) continue;
      rmSync(this.segmentPath(id), { force: true });
      this.segmentSizes.delete(id);
    }
  }

  private segment(): SegmentFile {
    if (!this.writer) {
      const id = Math.max(0, ...this.segmentSizes.keys()) + 1;
      this.writer = new SegmentFile(this.segmentPath(id), id, 0, 'append');
      this.segmentSizes.set(id, 0);
    }
    return this.writer;
  }

  /** Appends the batch: `SegmentFile.append` reserves its range at once, so the offsets handed out hold. */
  private startBatchWrite(): void {
    if (this.batchBytes === 0 || !this.writer) return;
    const bytes = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    const write: Promise<void> = this.writer.append(bytes).then(
      () => undefined,
      (error: unknown) => {
        this.writeError ??= error;
      },
    );
    this.writing.add(write);
    void write.finally(() => this.writing.delete(write));
  }

  private remember(key: string, row: Row): CachedOutput {
    this.rows.set(key, row);
    if (this.writer && row[4] === this.writer.id) this.segmentSizes.set(row[4], this.writer.size + this.batchBytes);
    return this.toOutput(row);
  }

  private liveBySegment(): Map<number, number> {
    const live = new Map<number, number>();
    for (const row of this.rows.values()) if (row[4] >= 0) live.set(row[4], (live.get(row[4]) ?? 0) + row[1]);
    return live;
  }

  private segmentPath(id: number): string {
    return path.join(this.segmentsDir, `${id}.seg`);
  }

  private toOutput(row: Row): CachedOutput {
    const output: CachedOutput = { digest: row[0], size: row[1], metadata: row[3] };
    if (row[4] >= 0) output.stored = { file: this.segmentPath(row[4]), offset: row[5] };
    return output;
  }
}

/** The rows of an OutputCache: every set, delete and clear is noted in its `changed` (or `rewrite`). */
class ChangeTrackingMap extends Map<string, Row> {
  constructor(
    private readonly owner: { readonly changed: Map<string, Row | null>; rewrite: boolean },
    entries?: Iterable<readonly [string, Row]>,
  ) {
    super(entries);
  }

  override set(key: string, row: Row): this {
    this.owner?.changed.set(key, row);
    return super.set(key, row);
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.owner.changed.set(key, null);
    return had;
  }

  override clear(): void {
    super.clear();
    this.owner.rewrite = true;
  }
}
