import { existsSync, lstatSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { PackerError, toPackerError } from '../contract/errors.js';
import type { RegistryMutation } from '../contract/mutation-schema.js';
import type { RegistryEntry, RegistryVersion } from '../contract/registry-schema.js';
import type { RegistryChange } from '../commit/registry-change.js';
import { fsyncDirectory } from '../fs/atomic-write.js';
import { RegistryFileStore, type RegistryLoad, type StagedFile } from './registry-file-store.js';
import { compareEntries, lowerBound, upperBound } from './registry-layout.js';
import {
  listRegistryFiles,
  REGISTRY_FILE,
  REGISTRY_FOLDER,
  shardFileOf,
  type RegistryFiles,
  type ShardCount,
} from './registry-shards.js';

export { REGISTRY_FILE, REGISTRY_FOLDER } from './registry-shards.js';
export type { RegistryLoad } from './registry-file-store.js';

/** One registry file's part of a commit: the journal's record, and the text to write (null: delete the file). */
export interface RegistryFileChange extends Omit<RegistryChange, 'after'> {
  /** Project-relative: `packer.registry.json` or `packer.registry/<hex>.json`. */
  file: string;
  /** sha256 (hex) of the file after the operation; null when the operation deletes it. */
  after: string | null;
}

/** A registry change serialised and validated for a commit, file by file. */
export interface StagedRegistry {
  /** Every registry file the commit writes or deletes, with the journal's record of it. */
  files: { change: RegistryFileChange; text: string | null }[];
  /** The registry as it will load after the commit (entries in path order, never changed in place). */
  load: RegistryLoad & { state: 'ok' };
  /** The whole entry list after the commit (same array as `load.entries`). */
  entries: RegistryEntry[];
}

/** What a write would move: entries sitting outside the file `registry.shards` assigns them (announced in plans). */
export interface LayoutMigration {
  shards: ShardCount;
  /** Entries in another file than their canonical one (all of them after a change of `registry.shards`). */
  entries: number;
}

/** The registry as loaded from its files, kept to answer the next load and stage without reading anything again. */
interface Union {
  files: readonly string[];
  perFile: ReadonlyMap<string, readonly RegistryEntry[]>;
  entries: RegistryEntry[];
  load: RegistryLoad & { state: 'ok' };
  version: RegistryVersion | undefined;
  /** True when `entries` is in path order (`compareEntries`); a lone format 1 file keeps its own order. */
  sorted: boolean;
  misplaced?: { shards: ShardCount; count: number };
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
  private union: Union | undefined;
  /** The union a staged change leads to; it becomes `union` once the change is written. */
  private pending: Union | undefined;
  private generation = 0;

  constructor(
    private readonly projectRoot: string,
    /** The configured shard count (read at each stage and preview: a config reload may change it). */
    private readonly shardsOf: () => ShardCount = () => 1,
  ) {}

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
    if (!store) this.stores.set(relative, (store = new RegistryFileStore(this.projectRoot, relative)));
    return store;
  }

  /** A missing registry is an empty one (a fresh project); an unreadable or invalid one is read-only. */
  load(): RegistryLoad {
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
    const loads: { relative: string; load: RegistryLoad & { state: 'ok' } }[] = [];
    for (const relative of listing.files) {
      const load = this.fileStore(relative).load();
      if (load.state === 'read-only') {
        this.union = undefined;
        return load;
      }
      loads.push({ relative, load });
      perFile.set(relative, load.entries);
    }
    for (const known of [this.union, this.pending]) {
      if (known && sameFiles(known, perFile)) {
        this.union = known;
        this.pending = undefined;
        return known.load;
      }
    }
    return this.build(loads, perFile);
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
      return this.stageSingle(base, net);
    // Shards are written from the union of every file: one that fails to read (an id in two files) is never guessed at.
    if (loaded?.state === 'read-only') throw loaded.error;
    assertFolderWritable(this.projectRoot);
    const quick =
      union !== undefined && union.sorted && net.size <= SMALL_CHANGE && this.layoutMigration() === undefined
        ? this.stageQuick(union, net, shards)
        : undefined;
    return quick ?? this.stageWhole(base, net, shards, union);
  }

  /** The single-file layout: exactly the one file's store, as before shards existed. */
  private stageSingle(base: readonly RegistryEntry[], net: ReadonlyMap<string, RegistryEntry | null>): StagedRegistry {
    const staged = this.fileStore(REGISTRY_FILE).stageChange(base, net);
    const load = { state: 'ok' as const, entries: staged.entries, text: staged.text };
    this.pending = {
      files: [REGISTRY_FILE],
      perFile: new Map([[REGISTRY_FILE, staged.entries]]),
      entries: staged.entries,
      load,
      version: 2,
      sorted: true,
      misplaced: { shards: 1, count: 0 },
    };
    return { files: [{ change: fileChange(REGISTRY_FILE, staged), text: staged.text }], load, entries: staged.entries };
  }

  /**
   * A few ids changed in a canonical sharded registry: each id's old file found through the line caches, each
   * changed shard staged through its own store, the union changed by binary search. Undefined when a file is not
   * known exactly (the whole way then reads what it must).
   */
  private stageQuick(
    union: Union,
    net: ReadonlyMap<string, RegistryEntry | null>,
    shards: ShardCount,
  ): StagedRegistry | undefined {
    const stores = union.files.map((relative) => this.fileStore(relative));
    if (!stores.every((store) => store.known().exact)) return undefined;
    const groups = new Map<string, Map<string, RegistryEntry | null>>();
    const group = (relative: string): Map<string, RegistryEntry | null> => {
      let map = groups.get(relative);
      if (!map) groups.set(relative, (map = new Map()));
      return map;
    };
    const entries = union.entries.slice();
    const removals: number[] = [];
    const additions: RegistryEntry[] = [];
    for (const [id, next] of net) {
      let held: RegistryEntry | undefined;
      let holder: string | undefined;
      for (const store of stores) {
        held = store.heldEntry(id);
        if (held !== undefined) {
          holder = store.relative;
          break;
        }
      }
      if (held !== undefined && held === next) continue;
      const target = next === null ? undefined : shardFileOf(next.path, shards);
      if (held !== undefined) {
        const at = lowerBound(entries, held);
        if (entries[at] !== held) return undefined;
        removals.push(at);
        if (holder !== target) group(holder!).set(id, null);
      }
      if (next === null) continue;
      if (next.id !== id) return undefined;
      group(target!).set(id, next);
      additions.push(next);
    }
    for (const at of removals.sort((a, b) => b - a)) entries.splice(at, 1);
    for (const entry of additions) entries.splice(upperBound(entries, entry), 0, entry);
    const perFile = new Map(union.perFile);
    const files: StagedRegistry['files'] = [];
    for (const [relative, fileNet] of groups) {
      const store = this.fileStore(relative);
      const known = store.known();
      const staged = store.stageChange(known.entries, fileNet);
      this.collect(files, perFile, relative, staged);
    }
    return this.finishStage(files, perFile, entries, shards);
  }

  /** Any change: the new entry list grouped by canonical file, every file whose entries or text differ staged. */
  private stageWhole(
    base: readonly RegistryEntry[],
    net: ReadonlyMap<string, RegistryEntry | null>,
    shards: ShardCount,
    union: Union | undefined,
  ): StagedRegistry {
    const kept = base.filter((entry) => !net.has(entry.id));
    const added: RegistryEntry[] = [];
    for (const entry of net.values()) if (entry !== null) added.push(entry);
    const entries =
      union?.sorted && base === union.entries
        ? mergeSorted(kept, added.sort(compareEntries))
        : [...kept, ...added].sort(compareEntries);
    const ids = new Set<string>();
    for (const entry of entries) {
      if (ids.has(entry.id)) {
        throw new PackerError(
          'INVALID_REGISTRY',
          `Refused to write a registry the packer could not read back: asset id ${entry.id} appears more than once.`,
          { diagnostic: 'DUPLICATE_ID', hint: 'Nothing was written. This is a packer bug: please report it.' },
        );
      }
      ids.add(entry.id);
    }
    const groups = new Map<string, RegistryEntry[]>();
    for (const entry of entries) {
      const relative = shardFileOf(entry.path, shards);
      let list = groups.get(relative);
      if (!list) groups.set(relative, (list = []));
      list.push(entry);
    }
    const present = listRegistryFiles(this.projectRoot).files;
    const perFile = new Map<string, readonly RegistryEntry[]>();
    const files: StagedRegistry['files'] = [];
    for (const relative of new Set([...present, ...groups.keys()])) {
      const store = this.fileStore(relative);
      const list = groups.get(relative) ?? [];
      if (list.length === 0 && relative !== REGISTRY_FILE) {
        const removal = store.stageRemoval();
        if (removal) files.push({ change: { ...fileChange(relative, removal), after: null }, text: null });
        continue;
      }
      if (list.length === 0 && shards !== 1) {
        // packer.registry.json beside the shards: its entries moved into them.
        const removal = store.stageRemoval();
        if (removal) files.push({ change: { ...fileChange(relative, removal), after: null }, text: null });
        continue;
      }
      const known = store.known();
      if (known.exact && sameList(known.entries, list)) {
        perFile.set(relative, known.entries);
        continue;
      }
      this.collect(files, perFile, relative, store.stage(list));
    }
    return this.finishStage(files, perFile, entries, shards);
  }

  /** Adds one staged file to a commit (a shard left empty becomes a deletion). */
  private collect(
    files: StagedRegistry['files'],
    perFile: Map<string, readonly RegistryEntry[]>,
    relative: string,
    staged: StagedFile,
  ): void {
    if (staged.entries.length === 0 && relative !== REGISTRY_FILE) {
      perFile.delete(relative);
      const removal = this.fileStore(relative).stageRemoval();
      if (removal) files.push({ change: { ...fileChange(relative, removal), after: null }, text: null });
      return;
    }
    perFile.set(relative, staged.entries);
    if (staged.change.before === staged.change.after) return;
    files.push({ change: fileChange(relative, staged), text: staged.text });
  }

  private finishStage(
    files: StagedRegistry['files'],
    perFile: Map<string, readonly RegistryEntry[]>,
    entries: RegistryEntry[],
    shards: ShardCount,
  ): StagedRegistry {
    const names = [...perFile.keys()].sort();
    const load = { state: 'ok' as const, entries, text: `${REGISTRY_FOLDER}@${++this.generation}` };
    this.pending = {
      files: names,
      perFile,
      entries,
      load,
      version: 2,
      sorted: true,
      misplaced: { shards, count: 0 },
    };
    return { files, load, entries };
  }

  /** Builds the union of the loaded files: an id in two files is INVALID_REGISTRY. */
  private build(
    loads: readonly { relative: string; load: RegistryLoad & { state: 'ok' } }[],
    perFile: Map<string, readonly RegistryEntry[]>,
  ): RegistryLoad {
    const files = loads.map((item) => item.relative);
    let version: RegistryVersion | undefined;
    for (const { relative } of loads) {
      const fileVersion = this.fileStore(relative).version;
      if (fileVersion !== undefined && (version === undefined || fileVersion < version)) version = fileVersion;
    }
    if (loads.length === 0) {
      const load = { state: 'ok' as const, entries: [], text: null };
      this.union = { files, perFile, entries: load.entries, load, version, sorted: true };
      return load;
    }
    if (isSingleFile(files)) {
      const only = loads[0]!.load;
      const sorted = only.entries.every(
        (entry, index) => index === 0 || compareEntries(only.entries[index - 1]!, entry) < 0,
      );
      this.union = { files, perFile, entries: only.entries, load: only, version, sorted };
      return only;
    }
    const owner = new Map<string, string>();
    const entries: RegistryEntry[] = [];
    for (const { relative, load } of loads) {
      for (const entry of load.entries) {
        const other = owner.get(entry.id);
        if (other !== undefined) {
          this.union = undefined;
          const error = new PackerError(
            'INVALID_REGISTRY',
            `Asset id ${entry.id} appears in two registry files: ${other} and ${relative}.`,
            {
              file: path.join(this.projectRoot, relative),
              field: 'assets[].id',
              diagnostic: 'DUPLICATE_ID',
              hint: `Each asset id must be unique. This usually comes from a git merge where one branch moved the asset to another folder and the other edited it: keep the line whose path is right (in ${other} or ${relative}) and delete the other, then save.`,
            },
          );
          return { state: 'read-only', error, text: '' };
        }
        owner.set(entry.id, relative);
        entries.push(entry);
      }
    }
    entries.sort(compareEntries);
    const load = { state: 'ok' as const, entries, text: `${REGISTRY_FOLDER}@${++this.generation}` };
    this.union = { files, perFile, entries, load, version, sorted: true };
    return load;
  }
}

/**
 * A plan's registry mutations as their net effect by id: the entry an id ends with, or null when it is removed.
 * In order, as applying them one by one would: an add or update sets the id's entry, a remove deletes it.
 */
export function netRegistryChange(mutations: readonly RegistryMutation[]): Map<string, RegistryEntry | null> {
  const net = new Map<string, RegistryEntry | null>();
  for (const change of mutations) {
    if (change.op === 'add') net.set(change.entry.id, change.entry);
    else if (change.op === 'remove') net.set(change.entry.id, null);
    else net.set(change.after.id, change.after);
  }
  return net;
}

function fileChange(file: string, staged: StagedFile): RegistryFileChange {
  return { file, ...staged.change };
}

function isSingleFile(files: readonly string[]): boolean {
  return files.length === 0 || (files.length === 1 && files[0] === REGISTRY_FILE);
}

function sameFiles(union: Union, perFile: ReadonlyMap<string, readonly RegistryEntry[]>): boolean {
  if (union.perFile.size !== perFile.size) return false;
  for (const [relative, entries] of perFile) if (union.perFile.get(relative) !== entries) return false;
  return true;
}

function sameList(a: readonly RegistryEntry[], b: readonly RegistryEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function countMisplaced(union: Union, shards: ShardCount): number {
  let count = 0;
  for (const [relative, entries] of union.perFile)
    for (const entry of entries) if (shardFileOf(entry.path, shards) !== relative) count++;
  return count;
}

function readOnly(message: string, file: string, hint?: string): RegistryLoad {
  return {
    state: 'read-only',
    error: new PackerError('INVALID_REGISTRY', message, { file, ...(hint ? { hint } : {}) }),
    text: '',
  };
}

/** REGISTRY_READ_ONLY when the shard folder exists without an owner write bit (no shard may be added or removed). */
function assertFolderWritable(projectRoot: string): void {
  const folder = path.join(projectRoot, REGISTRY_FOLDER);
  let stats;
  try {
    stats = lstatSync(folder);
  } catch {
    return;
  }
  if (stats.isSymbolicLink()) {
    throw new PackerError(
      'SYMLINK_IN_PATH',
      `${folder} is a symlink, so the packer will not write shards through it.`,
      {
        path: REGISTRY_FOLDER,
        hint: 'Nothing was changed. Replace the link with a real folder holding the shard files.',
      },
    );
  }
  const mode = stats.mode;
  if ((mode & 0o200) === 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new PackerError(
      'REGISTRY_READ_ONLY',
      `${folder} is read-only (mode ${octal}), so the packer will not change the registry.`,
      {
        file: folder,
        mode: octal,
        hint: `Nothing was changed. Make it writable (\`chmod u+w ${REGISTRY_FOLDER}\`) and retry, or leave it read-only to keep the registry frozen.`,
      },
    );
  }
}

function mergeSorted(a: readonly RegistryEntry[], b: readonly RegistryEntry[]): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && compareEntries(a[i]!, b[j]!) <= 0)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
