import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { WriteHealth } from '../fs/write-health.js';

interface StoredResult {
  mutationHash: string;
  result: unknown;
  time: string;
}

const MAX_KEYS = 10_000;

/** Results of applies by idempotency key, persisted in `.packer/idempotency.json` so retries survive restarts. */
export class IdempotencyStore {
  private readonly file: string;
  private entries: Map<string, StoredResult>;
  private dirty = false;
  private readonly health = new WriteHealth('idempotency');

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'idempotency.json');
    this.entries = new Map();
    if (existsSync(this.file)) {
      try {
        this.entries = new Map(Object.entries(JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, StoredResult>));
      } catch {
        this.entries = new Map();
      }
    }
  }

  get(key: string): StoredResult | undefined {
    return this.entries.get(key);
  }

  /**
   * Records the result of an apply. Never throws: it runs after the commit point, when the apply has happened
   * whatever the disk says. A failed write keeps the key in memory (retries in this process still replay),
   * sets `writeProblem`, and is retried by the next `set` or `flush`.
   */
  set(key: string, mutationHash: string, result: unknown): void {
    this.entries.set(key, { mutationHash, result, time: new Date().toISOString() });
    // Oldest keys fall off first (Map keeps insertion order).
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
    this.dirty = true;
    this.flush();
  }

  /** Writes the keys if some are not on disk yet. Returns whether the file is up to date. */
  flush(): boolean {
    if (!this.dirty) return true;
    try {
      writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.entries)));
    } catch (error) {
      this.health.failed(this.file, error);
      return false;
    }
    this.dirty = false;
    this.health.succeeded();
    return true;
  }

  /** Why keys are held only in memory (a full disk, say), until they are written. */
  get writeProblem(): StorageWarning | undefined {
    return this.health.warning;
  }
}

/** A stable hash of a mutation, so a reused key with a different mutation is caught. */
export function hashMutation(mutation: unknown): string {
  return createHash('sha256').update(stableStringify(mutation)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
