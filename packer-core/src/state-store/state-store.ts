import { existsSync, mkdirSync, realpathSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { lmdbFileProblem } from './lmdb-file.js';
import { reserveLockFile } from './lock-file-space.js';
import { runSteps } from '../workspace/turn-event-loop.js';

/** The longest key (UTF-8 bytes) the store takes; longer keys are the caller's to keep in memory. */
export const MAX_KEY_BYTES = 1978;

/**
 * Rows per transaction when a store writes many rows that need not land together (see `StateStore.writeRows`).
 * LMDB builds a transaction's pages in malloc'd memory and, once it commits, keeps them in the environment for the
 * next one, never giving them back while it is open: the ~100k digest rows of a cold 100k open, written in one
 * transaction in scan order, held ~20-40 MB of the daemon's malloc heap for its life. In key order, 8,192 rows to a
 * transaction, the same rows dirtied ~2 MB at a time (measured with heaptrack and a 100k-row lmdb-js script).
 */
export const ROWS_PER_TRANSACTION = 8192;

// Loaded on first use: lmdb and msgpackr cost ~50 ms of imports, which `packer status` never needs.
let lmdbModule: typeof import('lmdb') | undefined;
function lmdb(): typeof import('lmdb') {
  return (lmdbModule ??= createRequire(import.meta.url)('lmdb') as typeof import('lmdb'));
}

interface SharedEnv {
  root: RootDatabase;
  users: number;
  guard: string | undefined;
}

// One LMDB environment per file and process: LMDB's locks are per process, so a second `open` of the same file
// (a test opening a project twice, two stores of one workspace) shares the first one's environment.
const shared = new Map<string, SharedEnv>();

/** What `StateStore.open` found. */
export type StoreOpening<V> =
  | {
      store: StateStore<V>;
      /** Why the file found on disk was thrown away (it was damaged), if it was. */ discarded?: string;
    }
  | { store?: undefined; error: unknown; discarded?: string };

/**
 * A daemon-private key-value file in `.packer/` (LMDB through lmdb-js): point reads from a memory map, so opening
 * it reads nothing and a lookup costs about a microsecond; writes are transactions, fsync'd at commit.
 *
 * A damaged file is not trusted to LMDB (which would crash the process on it): a file whose header is wrong or
 * which was cut short is deleted and started afresh, and so is one the last process died while reading for the
 * first time (`markReadable` ends that window), so a store that crashes its reader costs one crash, never a
 * daemon that cannot start. Only the daemon (or an in-process workspace, which refuses to run beside one) opens it.
 */
export class StateStore<V> {
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly env: SharedEnv,
    readonly db: Database<V, string>,
  ) {}

  static open<V>(requested: string, encoding: 'binary' | 'json'): StoreOpening<V> {
    let file: string;
    try {
      mkdirSync(path.dirname(requested), { recursive: true });
      // One environment per file, however the project path was spelled (a symlinked checkout, say).
      file = path.join(realpathSync(path.dirname(requested)), path.basename(requested));
    } catch (error) {
      return { error };
    }
    const existing = shared.get(file);
    if (existing) {
      existing.users++;
      return { store: new StateStore<V>(file, existing, existing.root as unknown as Database<V, string>) };
    }
    const guard = `${file}.reading`;
    let discarded: string | undefined;
    try {
      discarded = existsSync(guard)
        ? 'the last process that opened it stopped while reading it'
        : lmdbFileProblem(file);
      if (discarded) removeFiles(file);
    } catch (error) {
      return { error };
    }
    let guarded: string | undefined = guard;
    try {
      writeFileSync(guard, '');
    } catch {
      // A full disk: open unguarded rather than not at all.
      guarded = undefined;
    }
    try {
      // A full disk is an error to report, not a damaged store to discard.
      reserveLockFile(file);
    } catch (error) {
      if (guarded) rmSync(guarded, { force: true });
      return { error };
    }
    let root: RootDatabase;
    try {
      root = openEnv(file, encoding);
    } catch (error) {
      // The header looked right but LMDB refused the file: it is a cache or a store of retries, so start afresh.
      discarded ??= `LMDB could not open it (${error instanceof Error ? error.message : String(error)})`;
      try {
        removeFiles(file);
        root = openEnv(file, encoding);
      } catch (retryError) {
        if (guarded) rmSync(guarded, { force: true });
        return { error: retryError, discarded };
      }
    }
    if (discarded)
      process.emitWarning(`Discarded ${file}: ${discarded}. It is rebuilt from scratch.`, 'PackerStateWarning');
    const env: SharedEnv = { root, users: 1, guard: guarded };
    shared.set(file, env);
    return {
      store: new StateStore<V>(file, env, root as unknown as Database<V, string>),
      ...(discarded ? { discarded } : {}),
    };
  }

  /** Says that reading the store went fine: a crash from now on is not blamed on the file. */
  markReadable(): void {
    if (!this.env.guard) return;
    rmSync(this.env.guard, { force: true });
    this.env.guard = undefined;
  }

  /**
   * Throws ENOSPC, as the write itself would, when the store's file system has no room for `rows` rows. LMDB is
   * never handed a write on a full disk: its failed-write path (lmdb 3.5.6, `mdb_page_flush`) formats up to ~130
   * characters into `malloc(100)`, and the overflow corrupted the heap. Seen as `munmap_chunk(): invalid pointer`
   * and a dead process in 2 to 3 of 12 runs of build-full-disk.test.ts, before and after this session's other changes.
   * What is checked is room for the pages the rows may dirty (copy-on-write: each changed page is written anew), from
   * their keys' length when the caller has it.
   */
  assertRoom(rows: number, keyBytes?: number): void {
    assertRoomFor(this.file, rows, keyBytes);
  }

  /**
   * Writes rows that stand on their own (a cache's: no row needs another to be read right) in key order, a
   * transaction per ROWS_PER_TRANSACTION rows, so that a large batch never dirties more than a few MB of pages at
   * once (see ROWS_PER_TRANSACTION). `written` is told each transaction's keys once it is committed; a failure
   * throws, and the rows of the transactions committed before it stay written.
   */
  writeRows<K extends string>(
    keys: Iterable<K>,
    write: (db: Database<V, string>, key: K) => void,
    written: (keys: readonly K[]) => void,
  ): void {
    runSteps(this.writeRowSteps(keys, write, written));
  }

  /** writeRows a step at a time: each step is one committed transaction (see runStepsInSlices). */
  *writeRowSteps<K extends string>(
    keys: Iterable<K>,
    write: (db: Database<V, string>, key: K) => void,
    written: (keys: readonly K[]) => void,
  ): Generator<void, void, void> {
    // Code unit order, which is LMDB's byte order for every key short of astral characters: only locality rides on it.
    const sorted = [...keys].sort();
    for (let start = 0; start < sorted.length; start += ROWS_PER_TRANSACTION) {
      const chunk = sorted.slice(start, start + ROWS_PER_TRANSACTION);
      this.assertRoom(
        chunk.length,
        chunk.reduce((sum, key) => sum + key.length, 0),
      );
      this.db.transactionSync(() => {
        for (const key of chunk) write(this.db, key);
      });
      written(chunk);
      yield;
    }
  }

  /** Releases this handle; the environment closes with its last one. Never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (--this.env.users > 0) return;
    shared.delete(this.file);
    try {
      await this.env.root.close();
    } catch {
      // Closing a read-mostly store cannot lose anything that was not already reported by a failed write.
    }
  }
}

/** A row's value and node header, as estimated for the room a write needs (the stores' rows: 56 to ~300 bytes). */
const ROW_BYTES = 128;
/** Bytes any write may need besides its rows: the copied branch pages, the meta page, the free list. */
const ROOM_PER_WRITE = 64 * 1024;

/**
 * See StateStore.assertRoom. Twice the rows' bytes: leaf pages are written whole and are not full. A file system that
 * cannot say how full it is is let through (the write will tell).
 */
export function assertRoomFor(file: string, rows: number, keyBytes = rows * 64): void {
  let available: number;
  try {
    const stats = statfsSync(path.dirname(file));
    available = stats.bavail * stats.bsize;
  } catch {
    return;
  }
  const needed = ROOM_PER_WRITE + 2 * (keyBytes + rows * ROW_BYTES);
  if (available >= needed) return;
  throw Object.assign(
    new Error(`ENOSPC: no space left on device, write '${file}' (${available} bytes free, ${needed} needed)`),
    { code: 'ENOSPC', errno: -28, syscall: 'write', path: file },
  );
}

function openEnv(file: string, encoding: 'binary' | 'json'): RootDatabase {
  // A full disk must fail here with ENOSPC, not as a SIGBUS inside LMDB (see reserveLockFile).
  reserveLockFile(file);
  // overlappingSync off: a synchronous transaction returns only once it is on disk (the idempotency store relies on
  // it).
  return lmdb().open({
    path: file,
    noSubdir: true,
    encoding,
    compression: false,
    cache: false,
    overlappingSync: false,
  });
}

function removeFiles(file: string): void {
  for (const name of [file, `${file}-lock`, `${file}.reading`]) rmSync(name, { force: true });
}
