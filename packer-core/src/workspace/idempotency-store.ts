import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import { WriteHealth } from '../fs/write-health.js';
import { DiscardNotice } from '../state-store/discard-notice.js';
import { StateStore } from '../state-store/state-store.js';
import { storeError } from '../state-store/store-error.js';

interface StoredResult {
  mutationHash: string;
  result: unknown;
  time: string;
}

const MAX_KEYS = 10_000;
// Two key spaces in one store: `k:<key>` holds a result, `o:<time>:<key>` orders the keys for eviction.
const RESULT = 'k:';
const ORDER = 'o:';

/**
 * Results of applies by idempotency key, in `.packer/idempotency.lmdb`, so a retry gets the first result even after
 * a restart. Each `set` is one transaction that is on disk (fsync'd) before it returns; opening reads no result
 * until one is asked for. An `idempotency.json` left by an earlier version is imported once and removed.
 */
export class IdempotencyStore {
  readonly file: string;
  private readonly legacyFile: string;
  private store: StateStore<unknown> | undefined;
  private openError: unknown;
  /** Keys not on disk yet (a full disk, say): retries in this process still replay them. */
  private readonly pending = new Map<string, StoredResult>();
  private readonly health = new WriteHealth('idempotency');
  private closed = false;
  private discarded: DiscardNotice | undefined;
  private lastTime = 0;

  /** `maxKeys`: how many keys are kept, oldest dropped first (10,000; smaller in tests). */
  constructor(
    stateDir: string,
    private readonly maxKeys = MAX_KEYS,
  ) {
    this.file = path.join(stateDir, 'idempotency.lmdb');
    this.legacyFile = path.join(stateDir, 'idempotency.json');
    this.openStore();
    this.importLegacy();
  }

  get(key: string): StoredResult | undefined {
    const pending = this.pending.get(key);
    if (pending) return pending;
    try {
      return (this.store?.db.get(RESULT + key) as StoredResult | undefined) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Records the result of an apply. Never throws: it runs after the commit point, when the apply has happened
   * whatever the disk says. A failed write keeps the key in memory (retries in this process still replay),
   * sets `writeProblem`, and is retried by the next `set` or `flush`.
   */
  set(key: string, mutationHash: string, result: unknown): void {
    this.pending.set(key, { mutationHash, result, time: this.nextTime() });
    this.flush();
  }

  /**
   * The time a key is stored under, strictly increasing in this process: eviction orders keys by it, and two sets
   * within one millisecond would otherwise tie and be ordered by key name instead of by age.
   */
  private nextTime(): string {
    let time = Date.now();
    if (time <= this.lastTime) time = this.lastTime + 1;
    this.lastTime = time;
    return new Date(time).toISOString();
  }

  /** Writes the keys that are not on disk yet, oldest beyond the cap evicted. Returns whether all are on disk. */
  flush(): boolean {
    if (this.pending.size === 0 || this.closed) return this.pending.size === 0;
    if (!this.store && !this.openStore()) {
      this.health.failed(this.file, this.openError, { pending: this.pending.size });
      return false;
    }
    const { db } = this.store!;
    try {
      this.store!.assertRoom(this.pending.size * 2);
      db.transactionSync(() => {
        for (const [key, stored] of this.pending) {
          const previous = db.get(RESULT + key) as StoredResult | undefined;
          if (previous) db.removeSync(`${ORDER}${previous.time}:${key}`);
          db.putSync(RESULT + key, stored);
          db.putSync(`${ORDER}${stored.time}:${key}`, key);
        }
        const excess = db.getKeysCount({ start: ORDER, end: 'o;' }) - this.maxKeys;
        if (excess > 0) {
          const oldest = [...db.getRange({ start: ORDER, end: 'o;', limit: excess })];
          for (const { key, value } of oldest) {
            db.removeSync(key);
            db.removeSync(RESULT + String(value));
          }
        }
      });
    } catch (error) {
      this.health.failed(this.file, storeError(error), { pending: this.pending.size });
      return false;
    }
    this.pending.clear();
    this.health.succeeded();
    if (existsSync(this.legacyFile)) rmSync(this.legacyFile, { force: true });
    return true;
  }

  /** Why keys are held only in memory (a full disk, say), until they are written; or that a damaged store was
   * replaced. */
  get writeProblem(): StorageWarning | undefined {
    return this.health.warning ?? this.discarded?.current();
  }

  /** Writes what it can and releases the store. */
  async close(): Promise<void> {
    this.flush();
    this.closed = true;
    const store = this.store;
    this.store = undefined;
    await store?.close();
  }

  private openStore(): boolean {
    const opening = StateStore.open<unknown>(this.file, 'json');
    if (opening.discarded) {
      this.discarded = new DiscardNotice(
        'idempotency',
        this.file,
        `Discarded a damaged idempotency store (${opening.discarded}); retries of earlier applies are planned afresh.`,
      );
    }
    if (!opening.store) {
      this.openError = storeError(opening.error);
      return false;
    }
    this.store = opening.store;
    this.openError = undefined;
    try {
      // Walks the key tree once (natively, ~1 ms at the 10,000-key cap) while a crash would still be blamed on the
      // file.
      opening.store.db.getKeysCount();
      opening.store.markReadable();
    } catch {
      // Unreadable keys read as missing: a retry then re-plans instead of replaying.
    }
    return true;
  }

  private importLegacy(): void {
    if (!existsSync(this.legacyFile)) return;
    try {
      const entries = Object.entries(JSON.parse(readFileSync(this.legacyFile, 'utf8')) as Record<string, StoredResult>);
      for (const [key, stored] of entries.slice(-this.maxKeys)) {
        if (stored && typeof stored.mutationHash === 'string' && typeof stored.time === 'string')
          this.pending.set(key, stored);
      }
    } catch {
      // An unreadable old file holds nothing we can replay.
    }
    if (this.pending.size === 0) rmSync(this.legacyFile, { force: true });
    else this.flush();
  }
}

/** A stable hash of a mutation, so a reused key with a different mutation is caught. */
export function hashMutation(mutation: unknown): string {
  return createHash('sha256').update(stableStringify(mutation)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
