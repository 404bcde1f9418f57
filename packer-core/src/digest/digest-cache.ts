import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { WriteHealth } from '../fs/write-health.js';
import type { FileStat } from '../scan/scanner.js';
import { hashFiles } from './hash-files.js';

type CacheRow = [size: number, mtimeMs: number, ino: number, digest: string];

/**
 * sha256 digests keyed by (path, size, mtime, inode), persisted in `.packer/digests.json`, so a warm
 * restart re-hashes nothing that did not change. Rows for vanished paths are kept until `prune`, which is
 * what lets the packer recognise a file moved outside it (the old path's digest is still known).
 */
export class DigestCache {
  private rows = new Map<string, CacheRow>();
  private dirty = false;
  private readonly health = new WriteHealth('digest-cache');

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; rows?: Record<string, CacheRow> };
      if (parsed.version === 1 && parsed.rows) this.rows = new Map(Object.entries(parsed.rows));
    } catch {
      // A corrupt cache is only a cache: start empty and re-hash.
      this.rows = new Map();
    }
  }

  /** The cached digest when the stat still matches, else undefined. */
  get(relative: string, stat: FileStat): string | undefined {
    const row = this.rows.get(relative);
    return row && row[0] === stat.size && row[1] === stat.mtimeMs && row[2] === stat.ino ? row[3] : undefined;
  }

  /** Last digest recorded for a path, whatever its stat now (for recognising outside moves). */
  lastKnown(relative: string): { size: number; ino: number; digest: string } | undefined {
    const row = this.rows.get(relative);
    return row ? { size: row[0], ino: row[2], digest: row[3] } : undefined;
  }

  set(relative: string, stat: FileStat, digest: string): void {
    this.rows.set(relative, [stat.size, stat.mtimeMs, stat.ino, digest]);
    this.dirty = true;
  }

  /** Hashes whatever is not cached among `files`; returns how many files were hashed. */
  async ensure(projectRoot: string, files: ReadonlyMap<string, FileStat> | Iterable<[string, FileStat]>): Promise<number> {
    const todo: { relative: string; stat: FileStat; absolute: string; size: number }[] = [];
    for (const [relative, stat] of files) {
      if (this.get(relative, stat) === undefined) todo.push({ relative, stat, absolute: path.join(projectRoot, relative), size: stat.size });
    }
    if (todo.length === 0) return 0;
    const digests = await hashFiles(todo);
    todo.forEach((item, index) => {
      const digest = digests[index];
      if (digest) this.set(item.relative, item.stat, digest);
    });
    return todo.length;
  }

  /** Drops rows for paths in neither set. */
  prune(keep: (relative: string) => boolean): void {
    for (const key of this.rows.keys()) {
      if (!keep(key)) {
        this.rows.delete(key);
        this.dirty = true;
      }
    }
  }

  /** Why the last save failed (a full disk, say), until a save goes through. */
  get writeProblem(): StorageWarning | undefined {
    return this.health.warning;
  }

  /**
   * Persists the cache if it changed. Never throws: it runs from timers and on close, and a cache that cannot be
   * written is only a cache. A failure keeps the rows dirty (the next save tries again) and sets `writeProblem`.
   * Returns whether the file is now up to date.
   */
  save(): boolean {
    if (!this.dirty) return true;
    try {
      writeFileAtomic(this.file, JSON.stringify({ version: 1, rows: Object.fromEntries(this.rows) }));
    } catch (error) {
      this.health.failed(this.file, error);
      return false;
    }
    this.dirty = false;
    this.health.succeeded();
    return true;
  }
}
