import { existsSync, lstatSync, readFileSync, rmSync, statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { isPackerError, PackerError, toPackerError } from '../contract/errors.js';
import type { RegistryEntry, RegistryVersion } from '../contract/registry-schema.js';
import { diffRegistryEntries, registryDigest, type RegistryChange } from '../commit/registry-change.js';
import { fsyncDirectory, writeFileAtomic } from '../fs/atomic-write.js';
import { readRegistry, type RegistryRead } from './registry-codec.js';
import { splitRegistryLines } from './registry-layout.js';
import { isRacy, type RegistryFileVerdict, type RegistryLoadCache } from './registry-load-cache.js';
import { RegistryLines, type Serialized } from './registry-lines.js';
import { REGISTRY_FILE } from './registry-shards.js';

/** The registry as loaded: valid entries, or the reason it is read-only. */
export type RegistryLoad =
  | { state: 'ok'; entries: RegistryEntry[]; text: string | null }
  | { state: 'read-only'; error: PackerError; text: string };

/** A registry text serialised and validated for a commit, with what it changes against the bytes on disk. */
export interface StagedFile {
  text: string;
  /** The registry's entries in file order (the objects given); the line cache's, so never changed in place. */
  entries: RegistryEntry[];
  /** The journal's record of the change: changed entries and the digests of both sides. */
  change: RegistryChange;
}

/**
 * What the registry file held when this store last read or wrote it, and how to tell it is still there. Not its text:
 * 100k entries' text is ~19 MB, held for the daemon's life only to be compared and hashed again. Its sha256 stands in
 * for it, and `label` names it (what `load` reports as the text: equal labels, equal text).
 */
interface DiskState {
  /** dev, inode, size and change times: a file that differs in any of them is read again. */
  identity: string;
  label: string;
  entries: RegistryEntry[];
  version: RegistryVersion;
  /** sha256 of the bytes. */
  digest: string;
  /** The text, only on the copy `currentDisk` returns for a file that is not canonical (a journal keeps it whole). */
  text?: string;
  /** True when the text is the writer's canonical text of its entries (so a journal can rebuild it from a change). */
  canonical: boolean;
  /** Wall-clock time (ms) just before the text was read or written: a file modified since then may differ unseen. */
  readAtMs: number;
}

/**
 * Reads, validates and atomically writes one registry file (`packer.registry.json`, or one shard of
 * `packer.registry/`; `RegistryStore` puts the files together). Never overwrites an invalid registry, and never
 * writes one it would refuse to read: every text it writes passes the reader's own check first (`readRegistry`,
 * or for text it serialised, the same check run line by line on what changed: see `RegistryLines`).
 * It reads formats 1 and 2 and always writes format 2, so the first write after an upgrade migrates the file.
 *
 * Cost follows the change: the store remembers the file it last read or wrote (by identity and digest), so a commit
 * neither reads the registry back nor hashes the side it already knows, and a reload after its own write reads nothing.
 */
export class RegistryFileStore {
  readonly file: string;
  private readonly lines: RegistryLines;
  private disk: DiskState | undefined;
  /** The label of the text the line cache's order stands for (its diff against that text is exact). */
  private linesLabel: string | undefined;
  /**
   * The last text staged and validated, so writing it does not parse it again. Not its bytes: a commit stages every
   * file before it writes any, and a 1M-entry registry's UTF-8 copies (~190 MB) were all held at once.
   */
  private staged: { text: string; digest: string; entries: RegistryEntry[]; label: string } | undefined;
  private diskVersion: RegistryVersion | undefined;

  constructor(
    private readonly projectRoot: string,
    /** Project-relative name of the file. */
    readonly relative: string = REGISTRY_FILE,
    /** Verdicts of the last daemon: a file whose stat is the one recorded is read without validating it again. */
    private readonly cache?: RegistryLoadCache,
  ) {
    this.file = path.join(projectRoot, relative);
    this.lines = new RegistryLines(this.file, projectRoot);
  }

  /** Format of the registry on disk as last loaded or written; undefined when there is none (or it is invalid). */
  get version(): RegistryVersion | undefined {
    return this.diskVersion;
  }

  /** A missing registry is an empty one (a fresh project); an unreadable or invalid one is read-only. */
  load(): RegistryLoad {
    this.diskVersion = undefined;
    let identity: string | null;
    let text: string;
    const readAtMs = Date.now();
    try {
      identity = this.identity();
      if (identity === null) return { state: 'ok', entries: [], text: null };
      // The file this store last read or wrote, untouched since: nothing to read.
      if (identity === this.disk?.identity) {
        this.diskVersion = this.disk.version;
        return { state: 'ok', entries: this.disk.entries, text: this.disk.label };
      }
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      const cause = toPackerError(error);
      return {
        state: 'read-only',
        error: new PackerError('INVALID_REGISTRY', `Cannot read ${this.file}: ${cause.message}`, { file: this.file }),
        text: '',
      };
    }
    const digest = registryDigest(text);
    if (this.disk !== undefined && digest === this.disk.digest) {
      this.disk = { ...this.disk, identity, readAtMs };
      this.diskVersion = this.disk.version;
      return { state: 'ok', entries: this.disk.entries, text: this.disk.label };
    }
    const trusted = this.cache?.trusted(this.relative, identity);
    const known = trusted ? trustedRead(text, trusted) : undefined;
    if (known) {
      // The text the last daemon validated, in the writer's canonical layout: each line is its entry.
      this.lines.seedCanonical(known);
      const label = nextLabel(this.relative);
      this.linesLabel = label;
      this.disk = { identity, label, entries: known.entries, version: 2, digest, canonical: true, readAtMs };
      this.diskVersion = 2;
      return { state: 'ok', entries: known.entries, text: label };
    }
    try {
      const read = readRegistry(text, this.file, this.projectRoot);
      this.adopt(identity, text, read, readAtMs, digest);
      return { state: 'ok', entries: read.entries, text: this.disk!.label };
    } catch (error) {
      this.disk = undefined;
      return { state: 'read-only', error: toPackerError(error), text };
    }
  }

  /** Current bytes on disk, or null when there is no registry file. */
  readText(): string | null {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8') : null;
  }

  /** sha256 of the bytes on disk now (null: no registry file); read and hashed only when the file is not the one last
   * seen. */
  diskDigest(): string | null {
    const identity = this.identity();
    if (identity === null) return null;
    if (identity === this.disk?.identity) return this.disk.digest;
    // Digests are of the text as read (UTF-8), the same text recovery compares: for a valid UTF-8 file, its bytes.
    return registryDigest(readFileSync(this.file, 'utf8'));
  }

  /**
   * Atomic write of already-serialised bytes (temp, fsync, rename, fsync folder), keeping the file's mode.
   * Throws INVALID_PATH or INVALID_REGISTRY, writing nothing, when the reader would refuse the text.
   */
  writeText(text: string, options: { syncDir?: boolean } = {}): void {
    const staged = this.staged?.text === text ? this.staged : undefined;
    const readAtMs = Date.now();
    if (staged) {
      writeFileAtomic(this.file, staged.text, options);
      this.staged = undefined;
      this.disk = {
        identity: this.identity() ?? '',
        label: staged.label,
        entries: staged.entries,
        version: 2,
        digest: staged.digest,
        canonical: true,
        readAtMs,
      };
      this.diskVersion = 2;
      return;
    }
    const read = this.assertReadable(() => readRegistry(text, this.file, this.projectRoot));
    const bytes = Buffer.from(text);
    writeFileAtomic(this.file, bytes, options);
    this.adopt(this.identity() ?? '', text, read, readAtMs, registryDigest(bytes));
  }

  /** Deletes the registry file (a rollback of the commit that created it, or a shard left with no entries). */
  remove(options: { syncDir?: boolean } = {}): void {
    rmSync(this.file, { force: true });
    if (options.syncDir !== false) fsyncDirectory(path.dirname(this.file));
    this.disk = undefined;
    this.diskVersion = undefined;
  }

  /**
   * The bytes a commit is about to write, checked before anything happens: REGISTRY_READ_ONLY when the file has
   * no owner write bit (a 0444 registry is never silently replaced), INVALID_PATH or INVALID_REGISTRY when the
   * packer could not read the result back.
   */
  serialize(entries: readonly RegistryEntry[]): string {
    return this.stage(entries).text;
  }

  /**
   * `serialize`, plus what the text changes against the registry on disk now, for the journal: the changed entries
   * and the sha256 of both sides. A one-asset change costs one line's serialisation and validation, the join of the
   * text and one hash of it; the side on disk is known from the last read or write (read again only when the file
   * changed since).
   */
  stage(entries: readonly RegistryEntry[]): StagedFile {
    this.assertWritable();
    const before = this.currentDisk();
    return this.staging(
      before,
      this.assertReadable(() => this.lines.serialize(entries)),
    );
  }

  /**
   * `stage` for `base` (the entries last loaded or staged) changed by id (see `netRegistryChange`). A small change
   * to the registry on disk costs what it touches plus the join, the hash and the write of the text: no pass over
   * every entry. Otherwise it is `stage` of the whole changed list.
   */
  stageChange(base: readonly RegistryEntry[], net: ReadonlyMap<string, RegistryEntry | null>): StagedFile {
    this.assertWritable();
    const before = this.currentDisk();
    const quick =
      before !== undefined && before.label === this.linesLabel && base === this.lines.current
        ? this.lines.applyChange(net)
        : undefined;
    if (quick) return this.staging(before, quick);
    const entries = base.filter((entry) => !net.has(entry.id));
    for (const entry of net.values()) if (entry !== null) entries.push(entry);
    return this.staging(
      before,
      this.assertReadable(() => this.lines.serialize(entries)),
    );
  }

  /**
   * The file's entries as last read or written (file order; empty when there is none), and whether they stand for it
   * exactly: read or written by this store, untouched since as far as it knows (no stat), in the writer's canonical
   * text, and the line cache's order (so `heldEntry` answers for this file).
   */
  known(): { entries: readonly RegistryEntry[]; exact: boolean; present: boolean } {
    const disk = this.disk;
    if (disk === undefined) return { entries: [], exact: this.linesLabel === undefined, present: false };
    return { entries: disk.entries, exact: disk.canonical && disk.label === this.linesLabel, present: true };
  }

  /** The entry this file holds for `id`, by the line cache (meaningful when `known().exact`). */
  heldEntry(id: string): RegistryEntry | undefined {
    return this.lines.held(id);
  }

  /**
   * The journal's record of deleting this file (a shard left with no entries): its digest, and its entries as the
   * removed side, or its whole text when that cannot be rebuilt from them. Undefined when there is no file.
   */
  stageRemoval(): StagedFile | undefined {
    this.assertWritable();
    const before = this.currentDisk();
    if (before === undefined) return undefined;
    this.staged = undefined;
    return {
      text: '',
      entries: [],
      change: {
        before: before.digest,
        after: '',
        removed: before.entries,
        added: [],
        ...(before.canonical ? {} : { beforeText: before.text }),
      },
    };
  }

  private staging(before: DiskState | undefined, serialized: Serialized): StagedFile {
    const { text, canonical, change } = serialized;
    // The line cache's change is against its previous order: exact only when that order was the file on disk.
    const exact = before !== undefined && before.label === this.linesLabel;
    const label = nextLabel(this.relative);
    this.linesLabel = label;
    const diff = exact && change ? change : diffRegistryEntries(before?.entries ?? [], canonical);
    const digest = registryDigest(text);
    this.staged = { text, digest, entries: serialized.entries, label };
    return {
      text,
      entries: serialized.entries,
      change: {
        before: before === undefined ? null : before.digest,
        after: digest,
        removed: diff.removed,
        added: diff.added,
        ...(before !== undefined && !before.canonical ? { beforeText: before.text } : {}),
      },
    };
  }

  /**
   * The registry on disk now (undefined: no file), read and validated again only when it is not the file last seen.
   * A file that is not the writer's canonical text (format 1, a hand edit) is read again for its text, which the
   * journal keeps whole: once, as the commit that stages it rewrites it canonical.
   */
  private currentDisk(): DiskState | undefined {
    const identity = this.identity();
    if (identity === null) return undefined;
    const readAtMs = Date.now();
    if (identity === this.disk?.identity) {
      if (this.disk.canonical) return this.disk;
      const text = readFileSync(this.file, 'utf8');
      if (registryDigest(text) === this.disk.digest) return { ...this.disk, text };
      this.adopt(identity, text, readRegistry(text, this.file, this.projectRoot), readAtMs);
      return { ...this.disk, text };
    }
    const text = readFileSync(this.file, 'utf8');
    this.adopt(identity, text, readRegistry(text, this.file, this.projectRoot), readAtMs);
    return this.disk!.canonical ? this.disk : { ...this.disk!, text };
  }

  /**
   * What the load cache may record for this file: its identity when last read or written, if that text is the
   * writer's canonical one. A file written or read in the same tick as its last change is read again first (its
   * stat alone could hide a later edit of the same size): recorded only when the bytes are still the ones known, and
   * 'later' while it was changed too recently for even that.
   */
  verdict(): RegistryFileVerdict | 'later' | undefined {
    const disk = this.disk;
    if (disk === undefined || !disk.canonical || disk.version !== 2 || disk.identity === '') return undefined;
    const lines = disk.entries.length;
    if (!isRacy(disk.identity, disk.readAtMs)) return { identity: disk.identity, readAtMs: disk.readAtMs, lines };
    const readAtMs = Date.now();
    try {
      if (isRacy(disk.identity, readAtMs)) return 'later';
      if (this.identity() !== disk.identity) return undefined;
      if (registryDigest(readFileSync(this.file, 'utf8')) !== disk.digest || this.identity() !== disk.identity)
        return undefined;
    } catch {
      return undefined;
    }
    disk.readAtMs = readAtMs;
    return { identity: disk.identity, readAtMs, lines };
  }

  /** Records a text as the one on disk and seeds the line cache with it. */
  private adopt(identity: string, text: string, read: RegistryRead, readAtMs: number, digest?: string): void {
    const canonical = this.lines.seed(read);
    const label = nextLabel(this.relative);
    this.linesLabel = canonical ? label : undefined;
    this.disk = {
      identity,
      label,
      entries: read.entries,
      version: read.version,
      digest: digest ?? registryDigest(text),
      canonical,
      readAtMs,
    };
    this.diskVersion = read.version;
  }

  /** What tells one registry file from another without reading it; null when there is none. */
  private identity(): string | null {
    let stats: BigIntStats;
    try {
      stats = statSync(this.file, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
  }

  private assertWritable(): void {
    let mode: number;
    try {
      mode = lstatSync(this.file).mode;
    } catch {
      return; // no registry yet: the first write creates it
    }
    // Permission bits, not access(2): root may write anything, and a read-only registry should stop root too.
    if ((mode & 0o200) === 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      throw new PackerError(
        'REGISTRY_READ_ONLY',
        `${this.file} is read-only (mode ${octal}), so the packer will not replace it.`,
        {
          file: this.file,
          mode: octal,
          hint: `Nothing was changed. Make it writable (\`chmod u+w ${this.relative}\`) and retry, or leave it read-only to keep the registry frozen.`,
        },
      );
    }
  }

  /** Runs a validation, turning its failure into the writer's refusal. */
  private assertReadable<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      const cause = toPackerError(error);
      const pathProblem =
        isPackerError(cause, 'INVALID_REGISTRY') &&
        (cause.data.diagnostic === 'INVALID_PATH' || cause.data.diagnostic === 'PATH_OUTSIDE_PROJECT');
      throw new PackerError(
        pathProblem ? 'INVALID_PATH' : 'INVALID_REGISTRY',
        `Refused to write a registry the packer could not read back: ${cause.message}`,
        {
          ...cause.data,
          hint: `Nothing was written; ${this.relative} is unchanged. ${String(cause.data.hint ?? 'This is a packer bug: please report it with the operation that caused it.')}`,
        },
        { cause },
      );
    }
  }
}

let labels = 0;

/** A new name for a text a store read, staged or wrote (unique in the process, so never another text's). */
function nextLabel(relative: string): string {
  return `${relative}#${++labels}`;
}

/**
 * The entries of a canonical format 2 text the load cache vouches for: each line parsed on its own (the validation it
 * passed when recorded is not run again). Undefined when the text does not have the recorded shape: read in full.
 */
function trustedRead(text: string, verdict: RegistryFileVerdict): RegistryRead | undefined {
  const bodies = splitRegistryLines(text);
  if (bodies === undefined || bodies.length !== verdict.lines) return undefined;
  const entries = new Array<RegistryEntry>(bodies.length);
  try {
    for (let index = 0; index < bodies.length; index++) entries[index] = JSON.parse(bodies[index]!) as RegistryEntry;
  } catch {
    return undefined;
  }
  return { entries, version: 2, bodies };
}
