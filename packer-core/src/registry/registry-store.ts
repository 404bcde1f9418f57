import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { PackerError, toPackerError } from '../contract/errors.js';
import type { RegistryEntry, RegistryVersion } from '../contract/registry-schema.js';
import { fsyncDirectory } from '../fs/atomic-write.js';
import { RegistryFileStore, type RegistryLoad } from './registry-file-store.js';
import type { RegistryFileVerdict, RegistryLoadCache } from './registry-load-cache.js';
import {
  listRegistryFiles,
  REGISTRY_FILE,
  REGISTRY_FOLDER,
  type RegistryFiles,
  type ShardCount,
} from './registry-shards.js';
import {
  countMisplaced,
  isSingleFile,
  sameFiles,
  unionSteps,
  type LoadedRegistryFile,
  type RegistryUnion,
} from './registry-union.js';
import {
  assertFolderWritable,
  stageQuick,
  stageSingle,
  stageWhole,
  type StagedRegistry,
  type StagedUnion,
  type StagingContext,
} from './stage-registry.js';
import { runSteps, runStepsInSlices } from '../workspace/turn-event-loop.js';

export { REGISTRY_FILE, REGISTRY_FOLDER } from './registry-shards.js';
export type { RegistryLoad } from './registry-file-store.js';
export { netRegistryChange, type RegistryFileChange, type StagedRegistry } from './stage-registry.js';

/** What a write would move: entries sitting outside the file `registry.shards` assigns them (announced in plans). */
export interface LayoutMigration {
  shards: ShardCount;
  /** Entries in another file than their canonical one (all of them after a change of `registry.shards`). */
  entries: number;
}

/** Above this many changed ids, one pass over every entry beats a lookup per id. */
const SMALL_CHANGE = 64;

/**
 * The registry of a project: `packer.registry.json` (`registry.shards` 1, the default) or the shard files of
 * `packer.registry/`, each a complete format 2 document. Reading is the union of every registry file present; an id
 * in two files is INVALID_REGISTRY (read-only), as within one file. Writing always gives the canonical layout for the
 * configured shard count: an entry's file is `shardFileOf(path)`, a shard left with no entries is deleted, and the
 * first write after a change of `registry.shards` moves every misplaced entry (the plan announces it).
 *
 * Cost follows the change: one `RegistryFileStore` (line cache) per file, so a one-asset change validates one line
 * and joins, hashes and writes one shard; the union is kept between loads and changed by binary search.
 */
export class RegistryStore {
  private readonly stores = new Map<string, RegistryFileStore>();
  private union: RegistryUnion | undefined;
  /** The union a staged change leads to; it becomes `union` once the change is written. */
  private pending: RegistryUnion | undefined;
  private generation = 0;
  /** What the staging functions use of this store: its file stores, and a fresh label for each new union. */
  private readonly staging: StagingContext;

  constructor(
    private readonly projectRoot: string,
    /** The configured shard count (read at each stage and preview: a config reload may change it). */
    private readonly shardsOf: () => ShardCount = () => 1,
    /** What the last daemon validated (`.packer/`): unchanged files are not validated again at open. */
    private readonly loadCache?: RegistryLoadCache,
  ) {
    this.staging = {
      projectRoot,
      fileStore: (relative) => this.fileStore(relative),
      nextLabel: () => `${REGISTRY_FOLDER}@${++this.generation}`,
    };
  }

  /** Where the registry lives: the single file, or the shard folder. */
  get file(): string {
    return path.join(this.projectRoot, this.shardsOf() === 1 ? REGISTRY_FILE : REGISTRY_FOLDER);
  }

  /** Oldest format among the registry files as last loaded or written; undefined when unknown (none, or invalid). */
  get version(): RegistryVersion | undefined {
    return this.union?.version;
  }

  /** The per-file store of one registry file (project-relative). */
  fileStore(relative: string): RegistryFileStore {
    let store = this.stores.get(relative);
    if (!store) this.stores.set(relative, (store = new RegistryFileStore(this.projectRoot, relative, this.loadCache)));
    return store;
  }

  /**
   * Records in the load cache what every registry file of the last good load or write is (nothing while the registry
   * is read-only). Returns false when a file was changed too recently to be recorded yet (call again later).
   */
  saveLoadCache(): boolean {
    const union = this.union;
    if (!this.loadCache || !union) return true;
    const verdicts = new Map<string, RegistryFileVerdict>();
    let settled = true;
    for (const relative of union.files) {
      const verdict = this.stores.get(relative)?.verdict();
      if (verdict === 'later') settled = false;
      else if (verdict) verdicts.set(relative, verdict);
    }
    this.loadCache.save(verdicts);
    return settled;
  }

  /** A missing registry is an empty one (a fresh project); an unreadable or invalid one is read-only. */
  load(): RegistryLoad {
    return runSteps(this.loadSteps());
  }

  /**
   * `load`, letting the event loop turn between registry files (see runStepsInSlices): a daemon's open reads 1M
   * entries from its shards in ~9 s, and answers hello meanwhile.
   */
  loadInSlices(): Promise<RegistryLoad> {
    return runStepsInSlices(this.loadSteps());
  }

  /** `load`, a step per registry file read. */
  private *loadSteps(): Generator<void, RegistryLoad, void> {
    let listing: RegistryFiles;
    try {
      listing = listRegistryFiles(this.projectRoot);
    } catch (error) {
      this.union = undefined;
      return readOnly(`Cannot list the registry files: ${toPackerError(error).message}`, this.file);
    }
    if (listing.strays[0] === REGISTRY_FOLDER) {
      this.union = undefined;
      return readOnly(
        `${path.join(this.projectRoot, REGISTRY_FOLDER)} is a symlink; the packer reads and writes its registry only inside the project.`,
        path.join(this.projectRoot, REGISTRY_FOLDER),
        'Replace the link with a real folder holding the shard files.',
      );
    }
    if (listing.strays.length > 0) {
      this.union = undefined;
      const stray = path.join(this.projectRoot, listing.strays[0]!);
      return readOnly(
        `${stray} is not a registry shard: a shard's name is 1 to 3 lower-case hex digits and .json (e.g. 0a.json).`,
        stray,
        'Move the entries it holds into their shard (or back into packer.registry.json) and delete it; the packer reads no registry it cannot place.',
      );
    }
    const perFile = new Map<string, readonly RegistryEntry[]>();
    const loads: LoadedRegistryFile[] = [];
    for (const relative of listing.files) {
      const load = this.fileStore(relative).load();
      if (load.state === 'read-only') {
        this.union = undefined;
        return load;
      }
      loads.push({ relative, load, version: this.fileStore(relative).version });
      perFile.set(relative, load.entries);
      yield;
    }
    for (const known of [this.union, this.pending]) {
      if (known && sameFiles(known, perFile)) {
        this.union = known;
        this.pending = undefined;
        return known.load;
      }
    }
    const built = yield* unionSteps(this.projectRoot, loads, perFile, this.staging.nextLabel);
    this.union = built.union;
    return built.load;
  }

  /** Current bytes of `packer.registry.json`, or null when there is none. */
  readText(): string | null {
    return this.readFile(REGISTRY_FILE);
  }

  /** Current bytes of one registry file (project-relative), or null when there is none. */
  readFile(relative: string): string | null {
    const file = path.join(this.projectRoot, relative);
    return existsSync(file) ? readFileSync(file, 'utf8') : null;
  }

  /**
   * Writes a staged change: each file atomically (temp, fsync, rename), deletions by rm, then each folder touched
   * fsynced once. The store then knows the registry as the staged one (a reload reads nothing).
   */
  writeStaged(staged: StagedRegistry): void {
    const folders = new Set<string>();
    const createsFolder =
      staged.files.some((item) => item.change.file.startsWith(`${REGISTRY_FOLDER}/`) && item.text !== null) &&
      !existsSync(path.join(this.projectRoot, REGISTRY_FOLDER));
    for (const { change, text } of staged.files) {
      const store = this.fileStore(change.file);
      if (text === null) {
        store.remove({ syncDir: false });
        // Its line cache goes with it (a layout change would otherwise keep every old shard's lines alive).
        this.stores.delete(change.file);
      } else store.writeText(text, { syncDir: false });
      folders.add(path.dirname(store.file));
    }
    if (createsFolder) folders.add(this.projectRoot);
    // Back to one file (registry.shards 1): the shard folder left empty goes too.
    if (staged.files.some((item) => item.text === null && item.change.file.startsWith(`${REGISTRY_FOLDER}/`))) {
      try {
        rmdirSync(path.join(this.projectRoot, REGISTRY_FOLDER));
        folders.add(this.projectRoot);
      } catch {
        // not empty (other shards, or files that are not the packer's): kept
      }
    }
    for (const folder of folders) if (existsSync(folder)) fsyncDirectory(folder);
    if (this.pending && this.pending.entries === staged.entries) {
      this.union = this.pending;
      this.pending = undefined;
    }
  }

  /** sha256 of one registry file now (null: there is none). */
  fileDigest(relative: string): string | null {
    return this.fileStore(relative).diskDigest();
  }

  /** Writes one registry file atomically (recovery), after the reader's check. */
  writeFile(relative: string, text: string): void {
    this.fileStore(relative).writeText(text);
  }

  /** Deletes one registry file (recovery). */
  removeFile(relative: string): void {
    this.fileStore(relative).remove();
  }

  /**
   * Entries a write would move to their canonical file under the configured shard count; undefined when none would.
   * Counted once per loaded registry and shard count.
   */
  layoutMigration(): LayoutMigration | undefined {
    const union = this.union;
    if (!union) return undefined;
    const shards = this.shardsOf();
    if (union.misplaced?.shards !== shards) union.misplaced = { shards, count: countMisplaced(union, shards) };
    return union.misplaced.count > 0 ? { shards, entries: union.misplaced.count } : undefined;
  }

  /** `stageChange` of a whole new entry list (tests, and callers without a base). */
  stage(entries: readonly RegistryEntry[]): StagedRegistry {
    const base = this.union?.entries ?? [];
    const net = new Map<string, RegistryEntry | null>(base.map((entry) => [entry.id, null]));
    for (const entry of entries) net.set(entry.id, entry);
    return this.stageChange(base, net);
  }

  /**
   * The registry for `base` (the entries last loaded or staged) changed by id (see `netRegistryChange`), serialised
   * and validated file by file, before anything happens: REGISTRY_READ_ONLY when a file or the shard folder has no
   * owner write bit, INVALID_PATH or INVALID_REGISTRY when the packer could not read a result back.
   */
  stageChange(base: readonly RegistryEntry[], net: ReadonlyMap<string, RegistryEntry | null>): StagedRegistry {
    const shards = this.shardsOf();
    this.pending = undefined;
    let union = this.union;
    let loaded: RegistryLoad | undefined;
    if (union === undefined || base !== union.entries) {
      // Not the registry this store knows: stage against the files as they are.
      loaded = this.load();
      union = undefined;
    }
    if (shards === 1 && isSingleFile(union?.files ?? listRegistryFiles(this.projectRoot).files))
      return this.adopt(stageSingle(this.staging, base, net));
    // Shards are written from the union of every file: one that fails to read (an id in two files) is never guessed at.
    if (loaded?.state === 'read-only') throw loaded.error;
    assertFolderWritable(this.projectRoot);
    const quick =
      union !== undefined && union.sorted && net.size <= SMALL_CHANGE && this.layoutMigration() === undefined
        ? stageQuick(this.staging, union, net, shards)
        : undefined;
    return this.adopt(quick ?? stageWhole(this.staging, base, net, shards, union));
  }

  /** Keeps the union a staged change leads to, for `writeStaged` (and a reload that finds it on disk). */
  private adopt({ staged, union }: StagedUnion): StagedRegistry {
    this.pending = union;
    return staged;
  }
}

function readOnly(message: string, file: string, hint?: string): RegistryLoad {
  return {
    state: 'read-only',
    error: new PackerError('INVALID_REGISTRY', message, { file, ...(hint ? { hint } : {}) }),
    text: '',
  };
}
