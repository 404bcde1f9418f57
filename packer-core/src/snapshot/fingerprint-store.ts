import path from 'node:path';
import type { UntrackedFile } from '../contract/snapshot-schema.js';
import { MAX_KEY_BYTES, StateStore } from '../state-store/state-store.js';
import {
  decodeFingerprint,
  encodeFingerprint,
  fingerprintFile,
  SAMPLE_BYTES,
  SKETCH_SIZE,
  type ContentFingerprint,
} from './content-fingerprint.js';
import type { FingerprintLookup } from './find-outside-moves.js';

type Row = { digest: string; fingerprint: ContentFingerprint | null };
type Todo = { relative: string; digest: string; bytes: number };
/** A registered file's size and sha256 as the snapshot shows them, when it shows a digest. */
export type ObservedOf = (relative: string) => { size: number; digest?: string | undefined } | undefined;

// Reading more than this many bytes to fingerprint in one go is left to the background, a slice per tick.
const INLINE_BYTES = 4 << 20;
const SLICE_BYTES = 1 << 20;
const SLICE_CHECKS = 2000;
// A slice also ends after this long: requests wait behind a slice (a synced read's cookie event among them), and a
// slice of 1 MiB of small files took 20-60 ms at 100k, which every `packer status` during a first start paid.
const SLICE_MS = 4;
const INLINE_CHECKS = 256;
const CURRENT_CACHE_LIMIT = 4096;
// Background fingerprinting writes its rows out (and drops them from memory) every this many: a cold 100k start no
// longer holds all of them until the end.
const FLUSH_ROWS = 4096;

/**
 * Content fingerprints of registered files, kept in `.packer/fingerprints.lmdb` keyed by path, each tagged with
 * the sha256 it was computed from (a stale one is never used). They are what lets the packer recognise a
 * registered file that was renamed and edited outside it: once the file is gone, only this summary of its old
 * content is left. A row is at most 32 + 1 + 4×64 bytes. Its own file, not a field of the digest cache, so the
 * digest rows keep their fixed size.
 *
 * Computing one reads up to SAMPLE_BYTES of the file. A few changed files are fingerprinted at once; a cold
 * project (every file new) is fingerprinted in the background, a slice at a time, so the first snapshot does not
 * wait for it: a file renamed and edited before its turn came is seen as removed and added.
 */
export class FingerprintStore implements FingerprintLookup {
  readonly file: string;
  private store: StateStore<Buffer> | undefined;
  private readonly rows = new Map<string, Row | null>();
  private readonly pending = new Map<string, Row | null>();
  private readonly current = new Map<
    string,
    { size: number; mtimeMs: number; fingerprint: ContentFingerprint | undefined }
  >();
  private backlog: {
    /** Paths only (the snapshot's own strings): [path, stat] pairs of a 100k open held ~6 MB while they waited. */
    files: readonly string[];
    next: number;
    observedOf: ObservedOf;
    wanted: (relative: string) => boolean;
  }[] = [];
  private draining: NodeJS.Timeout | undefined;
  /** Background flushes not committed yet (see flushRows). */
  private readonly flushing = new Set<Promise<void>>();
  private closed = false;

  constructor(
    stateDir: string,
    private readonly root: string,
  ) {
    this.file = path.join(stateDir, 'fingerprints.lmdb');
    const opening = StateStore.open<Buffer>(this.file, 'binary');
    // Without the store fingerprints live in memory only: a cache, never a reason to fail.
    this.store = opening.store;
  }

  lastFingerprint(relative: string, digest: string): ContentFingerprint | undefined {
    const row = this.row(relative);
    return row && row.digest === digest ? (row.fingerprint ?? undefined) : undefined;
  }

  currentFingerprint(relative: string, observation: UntrackedFile['observation']): ContentFingerprint | undefined {
    const known = this.current.get(relative);
    if (known && known.size === observation.size && known.mtimeMs === observation.mtimeMs) return known.fingerprint;
    const fingerprint = fingerprintFile(path.join(this.root, relative));
    if (this.current.size >= CURRENT_CACHE_LIMIT) this.current.clear();
    this.current.set(relative, { size: observation.size, mtimeMs: observation.mtimeMs, fingerprint });
    return fingerprint;
  }

  /**
   * Fingerprints the files of `files` that `wanted` accepts and whose recorded fingerprint is not of the digest
   * `observedOf` gives (none given: not fingerprinted). A short list is checked now; a long one (an open, a full
   * rescan) is checked in the background.
   */
  ensure(files: readonly string[], observedOf: ObservedOf, wanted: (relative: string) => boolean): void {
    if (files.length > INLINE_CHECKS) {
      this.backlog.push({ files, next: 0, observedOf, wanted });
      this.schedule();
      return;
    }
    const todo: Todo[] = [];
    let bytes = 0;
    for (const relative of files) {
      const item = wanted(relative) ? this.fingerprintJob(relative, observedOf) : undefined;
      if (!item) continue;
      todo.push(item);
      bytes += item.bytes;
    }
    if (bytes <= INLINE_BYTES) for (const item of todo) this.compute(item);
    else {
      this.backlog.push({ files: todo.map((item) => item.relative), next: 0, observedOf, wanted });
      this.schedule();
    }
  }

  /** Whether background fingerprinting is still running. */
  get busy(): boolean {
    return this.backlog.length > 0;
  }

  /**
   * Forgets fingerprints of paths `keep` refuses (no longer registered). With `liveCount` (how many paths `keep`
   * accepts), the store is walked only when it holds more rows than that.
   */
  prune(keep: (relative: string) => boolean, liveCount?: number): void {
    if (liveCount !== undefined && this.storedCount() <= liveCount) return;
    for (const [key, row] of this.rows) if (row && !keep(key)) this.drop(key);
    if (!this.store) return;
    try {
      for (const key of this.store.db.getKeys())
        if (typeof key === 'string' && !keep(key) && this.rows.get(key) !== null) this.drop(key);
    } catch {
      // Only a cache: what is not pruned now is pruned next time.
    }
  }

  /** Writes changed rows in one transaction; never throws (a cache that cannot be written stays in memory). */
  save(): void {
    if (this.closed || !this.store || this.pending.size === 0) return;
    try {
      this.store.markReadable();
    } catch {
      return;
    }
    this.flushRows();
  }

  /**
   * Writes the pending rows and forgets them: from then on the store answers for them (a fingerprint is read again
   * only when its file goes missing). Rows kept in memory held ~50 MB at 100k files for the daemon's life after a
   * cold start. The read guard is left alone: a flush in the middle of a check does not vouch for the rest of it.
   *
   * The background's flushes (`wait: false`) commit on LMDB's write thread: a synchronous commit of 4,096 rows
   * waits for the disk on the main thread (7-31 ms each here, 25 of them in a cold 100k start), and every request
   * behind it waited too. The rows stay in memory, answering lookups, until their commit is done; a failed one puts
   * them back for the next flush. close() waits for them.
   */
  private flushRows(options: { wait: boolean } = { wait: true }): void {
    const store = this.store;
    if (!store || this.pending.size === 0) return;
    const batch = new Map(this.pending);
    this.pending.clear();
    const put = (key: string): void => {
      const row = batch.get(key);
      // A digest alone records "nothing to compare" (empty or blank content), so it is not read again.
      if (row)
        store.db.putSync(
          key,
          Buffer.concat([
            Buffer.from(row.digest, 'hex'),
            ...(row.fingerprint ? [encodeFingerprint(row.fingerprint)] : []),
          ]),
        );
      else store.db.removeSync(key);
    };
    // In key order: its pages are dirtied once each (see ROWS_PER_TRANSACTION in state-store.ts).
    const write = (): void => {
      for (const key of [...batch.keys()].sort()) put(key);
    };
    const written = (keys: Iterable<string> = batch.keys()): void => {
      for (const key of keys) {
        if (this.rows.get(key) === batch.get(key)) this.rows.delete(key);
        batch.delete(key);
      }
    };
    // Kept for the next flush, unless a newer row for the path came meanwhile.
    const failed = (): void => {
      for (const [key, row] of batch) if (!this.pending.has(key)) this.pending.set(key, row);
    };
    if (!options.wait) {
      try {
        store.assertRoom(batch.size);
      } catch {
        failed();
        return;
      }
      const flushing: Promise<void> = store.db
        .transaction(write)
        .then(() => written(), failed)
        .finally(() => this.flushing.delete(flushing));
      this.flushing.add(flushing);
      return;
    }
    // A save can hold many rows (a prune's drops, say): a few thousand to a transaction, what went stays written.
    try {
      store.writeRows(batch.keys(), (_db, key) => put(key), written);
    } catch {
      failed();
    }
  }

  async close(): Promise<void> {
    if (this.draining) clearTimeout(this.draining);
    this.draining = undefined;
    this.backlog = [];
    // A close is no crash: what was read so far read fine (a daemon stopped before its open check ended must not
    // cost the next one the whole store).
    this.store?.markReadable();
    await Promise.all(this.flushing);
    this.save();
    this.closed = true;
    const store = this.store;
    this.store = undefined;
    await store?.close();
  }

  private schedule(): void {
    if (this.draining || this.closed) return;
    // A timer, not setImmediate: an unref'd immediate does not keep libuv from blocking in its poll, so on an idle
    // daemon each slice waited for the next unrelated timer or I/O (gaps of ~1 s measured at 100k, which stretched
    // a 2 s job over the requests that came after the start). An unref'd timer still bounds the poll's wait.
    this.draining = setTimeout(() => this.drain(), 0);
    // Background work never keeps a one-shot process (a --no-daemon command) alive.
    this.draining.unref();
  }

  /** One slice of the backlog: at most SLICE_BYTES read, SLICE_CHECKS files looked at and about SLICE_MS spent. */
  private drain(): void {
    this.draining = undefined;
    if (this.closed) return;
    const started = performance.now();
    let bytes = 0;
    let checks = 0;
    let clockAt = 0;
    while (this.backlog.length > 0 && bytes < SLICE_BYTES && checks < SLICE_CHECKS) {
      // The clock is read after each file read and every 64 checks (a check alone is a lookup, far below the budget).
      if (bytes !== clockAt || (checks & 63) === 63) {
        clockAt = bytes;
        if (performance.now() - started >= SLICE_MS) break;
      }
      const job = this.backlog[0]!;
      if (job.next >= job.files.length) {
        this.backlog.shift();
        continue;
      }
      const relative = job.files[job.next++]!;
      checks++;
      const item = job.wanted(relative) ? this.fingerprintJob(relative, job.observedOf) : undefined;
      if (!item) continue;
      bytes += item.bytes;
      this.compute(item);
    }
    if (this.pending.size >= FLUSH_ROWS) this.flushRows({ wait: false });
    if (this.backlog.length > 0) this.schedule();
    else {
      // Every row the check needed was read without a crash: the store is trusted from now on. Without this, an
      // open that found every fingerprint current (nothing to save) left the guard behind, and the next open
      // discarded the whole store and read 100k files again (every other warm start at 100k: +1.7 s of CPU).
      this.store?.markReadable();
      this.save();
    }
  }

  private fingerprintJob(relative: string, observedOf: ObservedOf): Todo | undefined {
    const observed = observedOf(relative);
    const digest = observed?.digest;
    if (!observed || !digest || this.recordedDigestIs(relative, digest)) return undefined;
    return { relative, digest, bytes: Math.min(observed.size, SAMPLE_BYTES) };
  }

  /**
   * Whether the recorded fingerprint was computed from `digest`. Asked for every registered file at an open: a row
   * not already in memory is compared in the store and not kept (100k decoded rows held ~50 MB for nothing: a
   * fingerprint is read again only when its file goes missing).
   */
  private recordedDigestIs(relative: string, digest: string): boolean {
    const known = this.rows.get(relative);
    if (known !== undefined) return known?.digest === digest;
    if (!this.store || !fitsKey(relative)) return false;
    try {
      const bytes = this.store.db.getBinaryFast(relative);
      return bytes !== undefined && wellFormedRow(bytes) && bytes.toString('hex', 0, 32) === digest;
    } catch {
      return false;
    }
  }

  private compute(item: Todo): void {
    const row: Row = { digest: item.digest, fingerprint: fingerprintFile(path.join(this.root, item.relative)) ?? null };
    this.rows.set(item.relative, row);
    if (fitsKey(item.relative)) this.pending.set(item.relative, row);
  }

  private storedCount(): number {
    try {
      return this.store ? (this.store.db.getStats() as { entryCount: number }).entryCount : 0;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }

  private drop(key: string): void {
    this.rows.set(key, null);
    if (fitsKey(key)) this.pending.set(key, null);
  }

  private row(relative: string): Row | undefined {
    const known = this.rows.get(relative);
    if (known !== undefined) return known ?? undefined;
    let row: Row | null = null;
    if (this.store && fitsKey(relative)) {
      try {
        const bytes = this.store.db.getBinaryFast(relative);
        if (bytes && bytes.length >= 32) {
          const fingerprint = bytes.length === 32 ? null : decodeFingerprint(bytes.subarray(32));
          if (fingerprint !== undefined)
            row = { digest: Buffer.from(bytes.subarray(0, 32)).toString('hex'), fingerprint };
        }
      } catch {
        // Unreadable: fingerprinted again when next hashed.
      }
    }
    this.rows.set(relative, row);
    return row ?? undefined;
  }
}

/** A digest alone, or a digest and a fingerprint of the shape `decodeFingerprint` accepts. */
function wellFormedRow(bytes: Buffer): boolean {
  if (bytes.length === 32) return true;
  const hashes = (bytes.length - 33) / 4;
  return Number.isInteger(hashes) && hashes >= 1 && hashes <= SKETCH_SIZE && (bytes[32] === 1 || bytes[32] === 2);
}

function fitsKey(key: string): boolean {
  return Buffer.byteLength(key) <= MAX_KEY_BYTES;
}
