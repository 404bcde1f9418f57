import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'lmdb';
import type { EntryMetadata } from '../contract/build-schema.js';
import { DiscardNotice } from '../state-store/discard-notice.js';
import { ROWS_PER_TRANSACTION, StateStore } from '../state-store/state-store.js';
import { storeError } from '../state-store/store-error.js';
import { outputCacheHealth } from './output-cache-health.js';
import {
  after,
  COMMITTING,
  fitsKey,
  indexChanges,
  META,
  parseUseKey,
  PASSTHROUGH,
  ROW,
  SEGMENT,
  segmentCountKey,
  storedPrefix,
} from './output-cache-keys.js';

/** What the cache knows of one output: where its bytes are (segment -1: pass-through, the input file itself). */
export type CacheRow = [
  digest: string,
  size: number,
  lastUsed: number,
  metadata: EntryMetadata,
  segment: number,
  offset: number,
];

/** A segment as the index counts it: its bytes on disk, and the bytes and rows of the outputs still in it. */
export interface SegmentCount {
  size: number;
  live: number;
  rows: number;
}

/** Reads and writes of output cache stores in this process: tests hold a build's cost to what it touched. */
export const indexAccess = { reads: 0, writes: 0 };

/**
 * The rows of the output cache in `.packer/cache/index.lmdb` (see StateStore): opening reads the segment table and
 * an entry count, a lookup reads one row, and `save` writes only the rows changed since, in key order (see
 * `commit`). The least recently used outputs and the outputs of a segment are ranges of ordered keys, so the cap,
 * `prune` and compaction read what they evict or copy, never every row. Changes wait in memory until `commit`.
 */
export class OutputCacheIndex {
  readonly file: string;
  /** Segments by id: live bytes and rows as changed in memory, size as last written. */
  readonly segments = new Map<number, SegmentCount>();
  private store: StateStore<unknown> | undefined;
  private openError: unknown;
  private reopenable = false;
  /**
   * Rows changed since the last commit (null: deleted), and what the store held before for those it held (a cold
   * build's 100k new rows kept 100k nulls here).
   */
  private readonly pending = new Map<string, CacheRow | null>();
  private readonly original = new Map<string, CacheRow>();
  private readonly changedSegments = new Set<number>();
  private entryCount = 0;
  /** Every stored row is gone (`clear`): the store is emptied at commit, and nothing is read from it meanwhile. */
  private cleared = false;

  constructor(
    readonly dir: string,
    /** Only read (`stats` while a build may run): a commit under way in another process is read as it stands. */
    private readonly inspectOnly: boolean,
  ) {
    this.file = path.join(dir, 'index.lmdb');
    // `stats` on a project that never built: nothing to read, and nothing to create.
    if (inspectOnly && !existsSync(this.file)) return;
    this.open();
    this.load();
  }

  /** Whether the store could be opened: when it could not, the segments on disk may be referenced by rows unread. */
  get available(): boolean {
    return this.store !== undefined;
  }

  get entries(): number {
    return this.entryCount;
  }

  liveBytes(): number {
    let live = 0;
    for (const count of this.segments.values()) live += count.live;
    return live;
  }

  get(key: string): CacheRow | undefined {
    const pending = this.pending.get(key);
    if (pending !== undefined) return pending ?? undefined;
    return this.stored(key) ?? undefined;
  }

  /** Sets (or, with null, deletes) a row, keeping the entry count and the segment table in step. */
  set(key: string, row: CacheRow | null): void {
    if (!fitsKey(key)) return;
    let current: CacheRow | null;
    if (this.pending.has(key)) current = this.pending.get(key)!;
    else {
      current = this.stored(key);
      if (current) this.original.set(key, current);
    }
    if (current) this.count(current, -1);
    if (row) this.count(row, 1);
    this.pending.set(key, row);
  }

  setSegmentSize(id: number, size: number): void {
    const count = this.segments.get(id);
    if (count) count.size = size;
    else this.segments.set(id, { size, live: 0, rows: 0 });
    this.changedSegments.add(id);
  }

  /** Forgets a segment whose rows are all gone (its file is the caller's to delete once committed). */
  dropSegment(id: number): void {
    this.segments.delete(id);
    this.changedSegments.add(id);
  }

  /** Deletes every row; returns how many there were. */
  clear(): number {
    const removed = this.entryCount;
    this.pending.clear();
    this.original.clear();
    this.cleared = true;
    this.entryCount = 0;
    for (const [id, count] of this.segments) {
      count.live = 0;
      count.rows = 0;
      this.changedSegments.add(id);
    }
    return removed;
  }

  /**
   * Stored outputs (not pass-through), least recently used first, as changed in memory. Read lazily: a merge of
   * each segment's range (ordered by last use) and of the rows changed in memory (which those ranges skip).
   */
  *leastRecentlyUsed(): Generator<[string, CacheRow]> {
    const heads: { prefix: string; keys: Generator<string>; key: string; time: number }[] = [];
    for (const id of this.segments.keys()) {
      const prefix = storedPrefix(id);
      const keys = this.keysByUse(prefix, false);
      const first = keys.next();
      if (!first.done) heads.push({ prefix, keys, key: first.value, time: parseUseKey(prefix, first.value).time });
    }
    const fresh = [...this.pending]
      .filter((entry): entry is [string, CacheRow] => entry[1] !== null && entry[1][4] >= 0)
      .sort((a, b) => a[1][2] - b[1][2]);
    let next = 0;
    try {
      for (;;) {
        let oldest: (typeof heads)[number] | undefined;
        for (const head of heads) if (!oldest || head.time < oldest.time) oldest = head;
        if (next < fresh.length && (!oldest || fresh[next]![1][2] <= oldest.time)) {
          yield* this.stillStored(fresh[next++]![0]);
          continue;
        }
        if (!oldest) return;
        const { cacheKey } = parseUseKey(oldest.prefix, oldest.key);
        const following = oldest.keys.next();
        if (following.done) heads.splice(heads.indexOf(oldest), 1);
        else [oldest.key, oldest.time] = [following.value, parseUseKey(oldest.prefix, following.value).time];
        const row = this.get(cacheKey);
        if (row && row[4] >= 0) yield [cacheKey, row];
      }
    } finally {
      // Eviction stops as soon as the bytes fit: end the store iterators it did not finish.
      for (const head of heads) head.keys.return(undefined);
    }
  }

  /** The rows whose bytes are in a segment (what compaction copies): read from its own key range. */
  rowsIn(id: number): [string, CacheRow][] {
    const rows = new Map<string, CacheRow>();
    const prefix = storedPrefix(id);
    for (const key of this.keys(prefix, false)) {
      const { cacheKey } = parseUseKey(prefix, key);
      const row = this.get(cacheKey);
      if (row && row[4] === id) rows.set(cacheKey, row);
    }
    for (const [key, row] of this.pending) if (row && row[4] === id) rows.set(key, row);
    return [...rows];
  }

  /** Every row in the store: a pass over all of them, which builds never make (tests and debugging). */
  *allRows(): Generator<[string, CacheRow]> {
    for (const key of this.keys(ROW, false)) {
      const row = this.get(key.slice(ROW.length));
      if (row) yield [key.slice(ROW.length), row];
    }
  }

  /** When the least and the most recently used outputs were used: the ends of one key range per segment. */
  useRange(): { oldest?: number; newest?: number } {
    const times: number[] = [];
    for (const prefix of [PASSTHROUGH, ...[...this.segments.keys()].map(storedPrefix)]) {
      for (const reverse of [false, true]) {
        for (const key of this.keysByUse(prefix, reverse)) {
          times.push(parseUseKey(prefix, key).time);
          break;
        }
      }
    }
    for (const row of this.pending.values()) if (row) times.push(row[2]);
    if (times.length === 0) return {};
    // A loop, not Math.min(...times): a cold 1M build leaves a million pending rows, past V8's argument limit.
    let oldest = Infinity;
    let newest = -Infinity;
    for (const time of times) {
      if (time < oldest) oldest = time;
      if (time > newest) newest = time;
    }
    return { oldest, newest };
  }

  /**
   * Writes the changed rows, then the changed segments and the entry count, in key order and a transaction per
   * ROWS_PER_TRANSACTION writes (the last one holds the counts). In one transaction, a cold 100k build's ~200k writes
   * took ~20 MB of malloc'd LMDB pages at the top of the build's memory peak (see ROWS_PER_TRANSACTION); a cold 1M
   * build's, ten times that. Rows, use keys and counts agree only once the last transaction is in: a commit of more
   * than one marks the store COMMITTING from its first transaction to its last, and an open that finds the mark
   * (a crash, a failure part-way) discards the store's rows (see `load`). Never throws: a cache that cannot be
   * written is only a cache. A failure (a full disk, say) becomes the `output-cache` storage warning, forgets the
   * changes and returns false.
   */
  commit(): boolean {
    if (!this.cleared && this.pending.size === 0 && this.changedSegments.size === 0) return true;
    const health = outputCacheHealth(this.dir).writes;
    const db = this.db();
    if (!db) {
      health.failed(this.file, this.openError ?? new Error('the store is not open'), { dropped: this.pending.size });
      this.forgetChanges();
      return false;
    }
    try {
      if (this.cleared) db.clearSync();
      let writes = 0;
      const write = (key: string, value: unknown): void => {
        if (value === undefined) db.removeSync(key);
        else db.putSync(key, value);
      };
      const changes = indexChanges(this.pending, this.original);
      let change = changes.next();
      let split = false;
      do {
        // Room for this transaction's pages, checked before each (a row's change is up to three writes).
        const rows = Math.min(3 * this.pending.size - writes, ROWS_PER_TRANSACTION);
        this.store?.assertRoom(Math.max(0, rows) + this.changedSegments.size + 2);
        db.transactionSync(() => {
          for (let inTransaction = 0; !change.done && inTransaction < ROWS_PER_TRANSACTION; inTransaction++) {
            write(...change.value);
            writes++;
            change = changes.next();
          }
          if (!change.done) {
            if (!split) write(COMMITTING, 1);
            split = true;
            return;
          }
          if (split) write(COMMITTING, undefined);
          for (const id of this.changedSegments) write(segmentCountKey(id), this.segments.get(id));
          write(META, { version: 1, entries: this.entryCount });
        });
      } while (!change.done);
      indexAccess.writes += writes + this.changedSegments.size + 1;
    } catch (error) {
      health.failed(this.file, storeError(error), { dropped: this.pending.size });
      this.forgetChanges();
      return false;
    }
    health.succeeded();
    this.pending.clear();
    this.original.clear();
    this.changedSegments.clear();
    this.cleared = false;
    return true;
  }

  /** Releases the store (a later read opens it again). Never throws. */
  async release(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    // Reading went fine (a store opened again after a save has not been through `load`).
    store?.markReadable();
    await store?.close();
  }

  private open(): void {
    const opening = StateStore.open<unknown>(this.file, 'json');
    if (opening.discarded) {
      outputCacheHealth(this.dir).discarded = new DiscardNotice(
        'output-cache',
        this.file,
        `Discarded a damaged output cache index (${opening.discarded}); outputs are processed again as needed.`,
      );
    }
    if (!opening.store) {
      this.openError = storeError(opening.error);
      return;
    }
    this.store = opening.store;
    this.openError = undefined;
    this.reopenable = true;
  }

  /** Reads the entry count and the segment table: all that opening reads. */
  private load(): void {
    const db = this.store?.db;
    if (!db) return;
    try {
      if (!this.inspectOnly && db.get(COMMITTING) !== undefined) {
        this.discardUnfinishedCommit();
        return;
      }
      indexAccess.reads++;
      const meta = db.get(META) as { entries?: unknown } | undefined;
      this.entryCount = typeof meta?.entries === 'number' ? meta.entries : 0;
      for (const { key, value } of db.getRange({ start: SEGMENT, end: after(SEGMENT) })) {
        indexAccess.reads++;
        const count = value as SegmentCount;
        this.segments.set(Number(key.slice(SEGMENT.length)), { size: count.size, live: count.live, rows: count.rows });
      }
      // The header and the pages every open reads went fine: a crash from now on is not blamed on the file (a daemon
      // killed in the middle of a build keeps its cache).
      this.store!.markReadable();
    } catch {
      // Unreadable: as if empty; rows read later are checked against their segments, and bytes against digests.
    }
  }

  /**
   * The store holds a commit that did not end (see `commit`): taken as empty, as after `clear` (the next commit empties
   * it; the cache's sweep deletes every segment file, which no row is in now), with a storage warning.
   */
  private discardUnfinishedCommit(): void {
    this.cleared = true;
    this.entryCount = 0;
    this.segments.clear();
    const message =
      'Discarded an output cache index whose last write did not finish (a crash or a full disk part-way); outputs ' +
      'are processed again as needed.';
    process.emitWarning(`${this.file}: ${message}`, 'PackerStateWarning');
    outputCacheHealth(this.dir).discarded = new DiscardNotice('output-cache', this.file, message);
    this.store!.markReadable();
  }

  private forgetChanges(): void {
    this.pending.clear();
    this.original.clear();
    this.changedSegments.clear();
    this.cleared = false;
    this.segments.clear();
    this.load();
  }

  private db(): Database<unknown, string> | undefined {
    if (!this.store && this.reopenable) this.open();
    return this.store?.db;
  }

  private stored(key: string): CacheRow | null {
    if (this.cleared || !fitsKey(key)) return null;
    const db = this.db();
    if (!db) return null;
    try {
      indexAccess.reads++;
      return (db.get(ROW + key) as CacheRow | undefined) ?? null;
    } catch {
      return null;
    }
  }

  /** Keys under a prefix in order (or reverse order), read lazily; pending keys' entries are skipped (stale). */
  private *keysByUse(prefix: string, reverse: boolean): Generator<string> {
    for (const key of this.keys(prefix, reverse)) if (!this.pending.has(parseUseKey(prefix, key).cacheKey)) yield key;
  }

  private *keys(prefix: string, reverse: boolean): Generator<string> {
    if (this.cleared) return;
    const db = this.db();
    if (!db) return;
    const range = reverse ? { start: after(prefix), end: prefix, reverse } : { start: prefix, end: after(prefix) };
    try {
      for (const key of db.getKeys(range)) {
        indexAccess.reads++;
        if (typeof key === 'string') yield key;
      }
    } catch {
      // Unreadable: nothing more to evict or copy this time.
    }
  }

  /** A row changed in memory, if it is still a stored output (eviction may have gone past it). */
  private *stillStored(key: string): Generator<[string, CacheRow]> {
    const row = this.pending.get(key);
    if (row && row[4] >= 0) yield [key, row];
  }

  private count(row: CacheRow, sign: 1 | -1): void {
    this.entryCount += sign;
    if (row[4] < 0) return;
    let count = this.segments.get(row[4]);
    // A row in a segment the table lost (its file went): nothing to count down.
    if (!count && sign < 0) return;
    if (!count) this.segments.set(row[4], (count = { size: 0, live: 0, rows: 0 }));
    count.live += sign * row[1];
    count.rows += sign;
    this.changedSegments.add(row[4]);
  }
}
