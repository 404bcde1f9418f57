import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import { WriteHealth } from '../fs/write-health.js';
import type { FileStat } from '../scan/scanner.js';
import { DiscardNotice } from '../state-store/discard-notice.js';
import { MAX_KEY_BYTES, StateStore } from '../state-store/state-store.js';
import { storeError } from '../state-store/store-error.js';
import { hashFiles } from './hash-files.js';
import { runSteps, runStepsInSlices, SliceClock } from '../workspace/turn-event-loop.js';

type Row = [size: number, mtimeMs: number, ino: number, digest: string];

// A stored row: size, mtime and inode as float64, then the 32 bytes of the sha256.
const ROW_BYTES = 56;

/**
 * sha256 digests keyed by (path, size, mtime, inode), kept in `.packer/digests.lmdb`, so a warm restart re-hashes
 * nothing that did not change. Opening reads nothing: each path's row is looked up when asked for (a microsecond
 * from the memory map) and not kept: the snapshot holds the digests it shows, and 100k remembered rows cost ~15 MB
 * for nothing. Changed rows are held until written by `save`.
 * Rows for vanished paths are kept until `prune`, which is what lets the packer recognise a file moved outside
 * it (the old path's digest is still known). A `digests.json` left by an earlier version is read once and removed.
 */
export class DigestCache {
  readonly file: string;
  private readonly legacyFile: string;
  private store: StateStore<Buffer> | undefined;
  private openError: unknown;
  /**
   * Rows set or dropped in this process that the store does not hold yet (null: dropped); all of them while there
   * is no store, and always those whose key is too long for it.
   */
  private readonly rows = new Map<string, Row | null>();
  /** Rows to write at the next save; null: delete. */
  private readonly pending = new Map<string, Row | null>();
  /** Counts the rows set or dropped in this process: rows read ahead (`readRows`) stand while it has not moved. */
  private edits = 0;
  private readonly health = new WriteHealth('digest-cache');
  private discarded: DiscardNotice | undefined;
  private closed = false;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'digests.lmdb');
    this.legacyFile = path.join(stateDir, 'digests.json');
    this.openStore();
    this.importLegacy();
  }

  /** The cached digest when the stat still matches, else undefined. */
  get(relative: string, stat: FileStat): string | undefined {
    const row = this.row(relative);
    return row && row[0] === stat.size && row[1] === stat.mtimeMs && row[2] === stat.ino ? row[3] : undefined;
  }

  /** Last digest recorded for a path, whatever its stat now (for recognising outside moves). */
  lastKnown(relative: string): { size: number; ino: number; digest: string } | undefined {
    const row = this.row(relative);
    return row ? { size: row[0], ino: row[2], digest: row[3] } : undefined;
  }

  /**
   * The rows of `paths` as they are now, in columns (no object per row), for `StoredRows.get` to match with stats
   * later. An open reads the registered files' rows this way while the watcher's crawl keeps it waiting for the scan,
   * so its ~100k lookups are off its path. Point reads: a pass over the store's key range measured no faster (it
   * decodes a key string per row, where a point read encodes the path it is given).
   */
  readRows(paths: readonly string[]): StoredRows {
    const rows = new StoredRows(paths.length, this.edits);
    for (let index = 0; index < paths.length; index++) {
      const relative = paths[index]!;
      const known = this.rows.get(relative);
      if (known !== undefined) {
        if (known) rows.put(index, known[0], known[1], known[2], known[3]);
        continue;
      }
      const bytes = this.storedBytes(relative);
      if (bytes)
        rows.put(
          index,
          bytes.readDoubleLE(0),
          bytes.readDoubleLE(8),
          bytes.readDoubleLE(16),
          bytes.toString('hex', 24, 56),
        );
    }
    return rows;
  }

  /** Whether no row was set or dropped since `rows` were read: they are still what `get` would answer. */
  stillAsRead(rows: StoredRows): boolean {
    return rows.edits === this.edits;
  }

  set(relative: string, stat: FileStat, digest: string): void {
    const row: Row = [stat.size, stat.mtimeMs, stat.ino, digest];
    this.edits++;
    this.rows.set(relative, row);
    if (fitsKey(relative)) this.pending.set(relative, row);
  }

  /** Hashes whatever is not cached among `files`; returns how many files were hashed. */
  async ensure(
    projectRoot: string,
    files: ReadonlyMap<string, FileStat> | Iterable<[string, FileStat]>,
  ): Promise<number> {
    const todo: { relative: string; stat: FileStat; absolute: string; size: number }[] = [];
    // Keys are normalised project-relative paths: one concatenation names the file. path.join normalised each one
    // again into a tree of ~20 V8 cons strings: ~600 bytes a path, 60 MB held through the hashing of a 100k add.
    const prefix = projectRoot.endsWith(path.sep) ? projectRoot : `${projectRoot}${path.sep}`;
    // A cold 1M open passes 1M files: both loops let the event loop turn now and then (a daemon answers hello).
    const clock = new SliceClock();
    let looked = 0;
    for (const [relative, stat] of files) {
      if (this.get(relative, stat) === undefined)
        todo.push({ relative, stat, absolute: prefix + relative, size: stat.size });
      if ((++looked & 1023) === 0) await clock.pause();
    }
    if (todo.length === 0) return 0;
    const digests = await hashFiles(todo);
    for (let index = 0; index < todo.length; index++) {
      const digest = digests[index];
      const item = todo[index]!;
      if (digest) this.set(item.relative, item.stat, digest);
      if ((index & 1023) === 1023) await clock.pause();
    }
    return todo.length;
  }

  /**
   * Drops rows for paths `keep` refuses. With `liveCount` (how many paths `keep` accepts), the store is walked only
   * when it holds more rows than that, i.e. when some row must be stale: a warm open of an unchanged project
   * then reads no key it does not need.
   */
  prune(keep: (relative: string) => boolean, liveCount?: number): void {
    const stored = this.storedCount();
    if (liveCount !== undefined && stored !== undefined && stored + this.pendingAdds() <= liveCount) return;
    const drop = (key: string): void => {
      this.edits++;
      this.rows.set(key, null);
      if (fitsKey(key)) this.pending.set(key, null);
    };
    for (const [key, row] of this.rows) if (row && !keep(key)) drop(key);
    if (!this.store) return;
    try {
      for (const key of this.store.db.getKeys())
        if (typeof key === 'string' && !keep(key) && this.rows.get(key) !== null) drop(key);
    } catch {
      // An unreadable store is only a cache: whatever was not pruned now is pruned next time.
    }
  }

  /** Why the last save failed (a full disk, say), until a save goes through; or that a damaged store was replaced. */
  get writeProblem(): StorageWarning | undefined {
    if (this.health.warning) return this.health.warning;
    return this.discarded?.current();
  }

  /**
   * Writes the changed rows, in key order and a transaction per few thousand (StateStore.writeRows: a cold 100k
   * open's rows in one transaction kept tens of MB of LMDB pages in the daemon's heap). Never throws: it runs from
   * timers and on close, and a cache that cannot be written is only a cache. A failure keeps the rows not written yet
   * pending (the next save tries again) and sets `writeProblem`. Returns whether the store is now up to date.
   */
  save(): boolean {
    return runSteps(this.saveSteps());
  }

  /** `save`, letting the event loop turn between its transactions (a cold 1M open writes 1M rows: ~4 s). */
  saveInSlices(sliceMs?: number): Promise<boolean> {
    return runStepsInSlices(this.saveSteps(), sliceMs);
  }

  private *saveSteps(): Generator<void, boolean, void> {
    if (this.closed) return this.pending.size === 0;
    if (!this.store && !this.openStore()) {
      if (this.pending.size === 0) return true;
      this.health.failed(this.file, this.openError, { pending: this.pending.size });
      return false;
    }
    const store = this.store!;
    // Everything the open needed has been read by now (saves come after the first snapshot).
    store.markReadable();
    if (this.pending.size > 0) {
      try {
        const steps = store.writeRowSteps(
          this.pending.keys(),
          (db, key) => {
            // Between two steps a save from a timer may have written this row already (and a set replaced it).
            if (!this.pending.has(key)) return;
            const row = this.pending.get(key);
            if (row) db.putSync(key, encodeRow(row));
            else db.removeSync(key);
          },
          (keys) => {
            for (const key of keys) {
              this.rows.delete(key);
              this.pending.delete(key);
            }
          },
        );
        while (!steps.next().done) {
          yield;
          // Closed between two steps: close() saved what was pending, and the store is gone.
          if (this.closed) return this.pending.size === 0;
        }
      } catch (error) {
        this.health.failed(this.file, storeError(error), { pending: this.pending.size });
        return false;
      }
    }
    this.health.succeeded();
    if (existsSync(this.legacyFile)) rmSync(this.legacyFile, { force: true });
    return true;
  }

  /** Saves what it can, then releases the store (the next open of the project may be in this process). */
  async close(): Promise<void> {
    this.save();
    this.closed = true;
    const store = this.store;
    this.store = undefined;
    await store?.close();
  }

  private row(relative: string): Row | undefined {
    const known = this.rows.get(relative);
    if (known !== undefined) return known ?? undefined;
    const bytes = this.storedBytes(relative);
    return bytes ? decodeRow(bytes) : undefined;
  }

  /** A stored row's bytes (valid until the next read of the store), or undefined. */
  private storedBytes(relative: string): Buffer | undefined {
    if (!this.store || !fitsKey(relative)) return undefined;
    try {
      const bytes = this.store.db.getBinaryFast(relative);
      return bytes && bytes.length === ROW_BYTES ? bytes : undefined;
    } catch {
      return undefined; // unreadable: hash the file again
    }
  }

  private openStore(): boolean {
    const opening = StateStore.open<Buffer>(this.file, 'binary');
    if (opening.discarded) {
      this.discarded = new DiscardNotice(
        'digest-cache',
        this.file,
        `Discarded a damaged digest cache (${opening.discarded}); files are hashed again as needed.`,
      );
    }
    if (!opening.store) {
      this.openError = storeError(opening.error);
      return false;
    }
    this.store = opening.store;
    this.openError = undefined;
    return true;
  }

  /** Reads `digests.json` (the format before the store) into pending rows; `save` writes them and removes the file. */
  private importLegacy(): void {
    if (!existsSync(this.legacyFile)) return;
    try {
      const parsed = JSON.parse(readFileSync(this.legacyFile, 'utf8')) as {
        version?: number;
        rows?: Record<string, Row>;
      };
      if (parsed.version === 1 && parsed.rows) {
        for (const [key, row] of Object.entries(parsed.rows)) {
          if (Array.isArray(row) && row.length === 4 && typeof row[3] === 'string' && /^[0-9a-f]{64}$/.test(row[3])) {
            this.set(key, { size: row[0], mtimeMs: row[1], ino: row[2] }, row[3]);
          }
        }
      }
    } catch {
      // A corrupt old cache is only a cache: nothing to import.
    }
    if (this.pending.size === 0) rmSync(this.legacyFile, { force: true });
  }

  private storedCount(): number | undefined {
    try {
      return this.store ? (this.store.db.getStats() as { entryCount: number }).entryCount : 0;
    } catch {
      return undefined;
    }
  }

  private pendingAdds(): number {
    let adds = 0;
    for (const row of this.pending.values()) if (row) adds++;
    return adds;
  }
}

/**
 * Digest rows of a list of paths, by position in that list: what `DigestCache.get` answers for the path at `index`,
 * as of when they were read. Three Float64Arrays and the digests: 100k rows are ~2.4 MB and one string each (which
 * the snapshot keeps anyway), not 100k row arrays living through a scan.
 */
export class StoredRows {
  private readonly sizes: Float64Array;
  private readonly mtimes: Float64Array;
  private readonly inos: Float64Array;
  private readonly digests: (string | undefined)[];

  /** `rows` of the cache that read them: whether a row was set or dropped since (see `DigestCache.stillAsRead`). */
  constructor(
    count: number,
    readonly edits: number,
  ) {
    this.sizes = new Float64Array(count);
    this.mtimes = new Float64Array(count);
    this.inos = new Float64Array(count);
    this.digests = new Array<string | undefined>(count).fill(undefined);
  }

  put(index: number, size: number, mtimeMs: number, ino: number, digest: string): void {
    this.sizes[index] = size;
    this.mtimes[index] = mtimeMs;
    this.inos[index] = ino;
    this.digests[index] = digest;
  }

  /** The digest read for the path at `index` when `stat` is still what it was recorded for, else undefined. */
  get(index: number, stat: FileStat): string | undefined {
    const digest = this.digests[index];
    return digest !== undefined &&
      this.sizes[index] === stat.size &&
      this.mtimes[index] === stat.mtimeMs &&
      this.inos[index] === stat.ino
      ? digest
      : undefined;
  }
}

function fitsKey(key: string): boolean {
  return key.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key) <= MAX_KEY_BYTES;
}

function encodeRow(row: Row): Buffer {
  const bytes = Buffer.allocUnsafe(ROW_BYTES);
  bytes.writeDoubleLE(row[0], 0);
  bytes.writeDoubleLE(row[1], 8);
  bytes.writeDoubleLE(row[2], 16);
  bytes.write(row[3], 24, 32, 'hex');
  return bytes;
}

function decodeRow(bytes: Buffer): Row {
  return [bytes.readDoubleLE(0), bytes.readDoubleLE(8), bytes.readDoubleLE(16), bytes.toString('hex', 24, 56)];
}
