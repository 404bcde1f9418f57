import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

/**
 * Bump when what a registry file must satisfy to be read changes (validation rules, the line layout): a verdict
 * recorded by another rule set is never trusted.
 */
const CACHE_VERSION = 1;

/** Daemon-private, under `.packer/`. */
export const REGISTRY_LOAD_CACHE_FILE = 'registry-load-cache.v8';

/**
 * A file's timestamps are taken from the kernel's coarse clock, which may lag the wall clock by a tick: a file
 * modified less than this before it was read is "racy" (a later edit could keep its size and mtime).
 */
const RACY_MARGIN_MS = 50;

/** What one registry file was found to be when it was last read in full or re-checked. */
export interface RegistryFileVerdict {
  /** dev, inode, size, mtime and ctime (ns) of the file that was read: the same string as the file store's identity. */
  identity: string;
  /** Wall-clock time just before the text was read (ms). */
  readAtMs: number;
  /** Number of entry lines of the canonical text. */
  lines: number;
}

interface CacheFile {
  version: number;
  projectRoot: string;
  files: [string, RegistryFileVerdict][];
}

/**
 * The registry as the last daemon found it, so a warm open neither validates nor re-serialises files whose stat did
 * not change (as git's index trusts a file whose stat is what it recorded). Only files in the writer's canonical
 * format 2 text are recorded: their entries are exactly `JSON.parse` of each line. A verdict is trusted when the
 * file's identity (dev, inode, size, mtime ns, ctime ns) is the one recorded and its mtime is older than the read
 * (racy-git rule: a file modified in the same tick as it was read could change again unseen); anything else (no
 * cache, an unreadable or foreign one, another version, another identity) means the full read. It is a cache,
 * never truth: the committed registry files are.
 */
export class RegistryLoadCache {
  readonly file: string;
  private recorded: Map<string, RegistryFileVerdict> | undefined;
  private written: string | undefined;

  constructor(
    stateDir: string,
    private readonly projectRoot: string,
  ) {
    this.file = path.join(stateDir, REGISTRY_LOAD_CACHE_FILE);
  }

  /** The verdict for a file with this identity, when it may be trusted. */
  trusted(relative: string, identity: string): RegistryFileVerdict | undefined {
    const verdict = this.read().get(relative);
    if (verdict === undefined || verdict.identity !== identity) return undefined;
    return isRacy(identity, verdict.readAtMs) ? undefined : verdict;
  }

  /** Replaces the recorded verdicts (atomic write; never throws: a cache that cannot be written is just cold). */
  save(verdicts: ReadonlyMap<string, RegistryFileVerdict>): void {
    const data: CacheFile = {
      version: CACHE_VERSION,
      projectRoot: this.projectRoot,
      files: [...verdicts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    };
    const bytes = v8.serialize(data);
    const key = bytes.toString('latin1');
    if (key === this.written) return;
    // Temp and rename, no fsync: a torn file after a power loss reads as no cache. No folder is created: a project
    // deleted meanwhile must not come back as an empty `.packer/`.
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, bytes);
      renameSync(temp, this.file);
      this.written = key;
      this.recorded = new Map(verdicts);
    } catch {
      rmSync(temp, { force: true }); // a full disk or a removed .packer/: the next open parses in full
    }
  }

  private read(): Map<string, RegistryFileVerdict> {
    if (this.recorded) return this.recorded;
    this.recorded = new Map();
    try {
      const data = v8.deserialize(readFileSync(this.file)) as Partial<CacheFile>;
      if (data?.version !== CACHE_VERSION || data.projectRoot !== this.projectRoot || !Array.isArray(data.files))
        return this.recorded;
      for (const item of data.files) {
        if (!Array.isArray(item) || typeof item[0] !== 'string' || !isVerdict(item[1])) continue;
        this.recorded.set(item[0], item[1]);
      }
    } catch {
      this.recorded = new Map(); // missing, truncated or foreign: every file is read in full
    }
    return this.recorded;
  }
}

/** True when a file with this identity was modified too close to (or after) `readAtMs` to trust its stat alone. */
export function isRacy(identity: string, readAtMs: number): boolean {
  const mtimeNs = identity.split(':')[3];
  if (mtimeNs === undefined || !/^\d+$/.test(mtimeNs)) return true;
  return BigInt(mtimeNs) >= BigInt(Math.floor(readAtMs - RACY_MARGIN_MS)) * 1_000_000n;
}

function isVerdict(value: unknown): value is RegistryFileVerdict {
  const verdict = value as RegistryFileVerdict | undefined;
  return (
    typeof verdict === 'object' &&
    verdict !== null &&
    typeof verdict.identity === 'string' &&
    typeof verdict.readAtMs === 'number' &&
    Number.isFinite(verdict.readAtMs) &&
    Number.isInteger(verdict.lines) &&
    verdict.lines >= 0
  );
}
