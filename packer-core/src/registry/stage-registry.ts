import { lstatSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import type { RegistryMutation } from '../contract/mutation-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { RegistryChange } from '../commit/registry-change.js';
import type { RegistryFileStore, RegistryLoad, StagedFile } from './registry-file-store.js';
import { compareEntries, lowerBound, upperBound } from './registry-layout.js';
import { listRegistryFiles, REGISTRY_FILE, REGISTRY_FOLDER, shardFileOf, type ShardCount } from './registry-shards.js';
import type { RegistryUnion } from './registry-union.js';
import { sameItems } from '../snapshot/same-items.js';

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

/** What staging needs from the store that combines the registry files. */
export interface StagingContext {
  projectRoot: string;
  /** The per-file store of one registry file (project-relative), kept across stages. */
  fileStore(relative: string): RegistryFileStore;
  /** A new text naming a union of shards (a union has no single text of its own). */
  nextLabel(): string;
}

/** A staged change, and the union it leads to once written. */
export interface StagedUnion {
  staged: StagedRegistry;
  union: RegistryUnion;
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

/** The single-file layout: exactly the one file's store, as before shards existed. */
export function stageSingle(
  context: StagingContext,
  base: readonly RegistryEntry[],
  net: ReadonlyMap<string, RegistryEntry | null>,
): StagedUnion {
  const staged = context.fileStore(REGISTRY_FILE).stageChange(base, net);
  const load = { state: 'ok' as const, entries: staged.entries, text: staged.text };
  const union: RegistryUnion = {
    files: [REGISTRY_FILE],
    perFile: new Map([[REGISTRY_FILE, staged.entries]]),
    entries: staged.entries,
    load,
    version: 2,
    sorted: true,
    misplaced: { shards: 1, count: 0 },
  };
  return {
    staged: {
      files: [{ change: fileChange(REGISTRY_FILE, staged), text: staged.text }],
      load,
      entries: staged.entries,
    },
    union,
  };
}

/**
 * A few ids changed in a canonical sharded registry: each id's old file found through the line caches, each
 * changed shard staged through its own store, the union changed by binary search. Undefined when a file is not
 * known exactly (the whole way then reads what it must).
 */
export function stageQuick(
  context: StagingContext,
  union: RegistryUnion,
  net: ReadonlyMap<string, RegistryEntry | null>,
  shards: ShardCount,
): StagedUnion | undefined {
  const stores = union.files.map((relative) => context.fileStore(relative));
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
    const store = context.fileStore(relative);
    const known = store.known();
    const staged = store.stageChange(known.entries, fileNet);
    collect(context, files, perFile, relative, staged);
  }
  return finishStage(context, files, perFile, entries, shards);
}

/** Any change: the new entry list grouped by canonical file, every file whose entries or text differ staged. */
export function stageWhole(
  context: StagingContext,
  base: readonly RegistryEntry[],
  net: ReadonlyMap<string, RegistryEntry | null>,
  shards: ShardCount,
  union: RegistryUnion | undefined,
): StagedUnion {
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
  const present = listRegistryFiles(context.projectRoot).files;
  const perFile = new Map<string, readonly RegistryEntry[]>();
  const files: StagedRegistry['files'] = [];
  for (const relative of new Set([...present, ...groups.keys()])) {
    const store = context.fileStore(relative);
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
    if (known.exact && sameItems(known.entries, list)) {
      perFile.set(relative, known.entries);
      continue;
    }
    collect(context, files, perFile, relative, store.stage(list));
  }
  return finishStage(context, files, perFile, entries, shards);
}

/** REGISTRY_READ_ONLY when the shard folder exists without an owner write bit (no shard may be added or removed). */
export function assertFolderWritable(projectRoot: string): void {
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

/** Adds one staged file to a commit (a shard left empty becomes a deletion). */
function collect(
  context: StagingContext,
  files: StagedRegistry['files'],
  perFile: Map<string, readonly RegistryEntry[]>,
  relative: string,
  staged: StagedFile,
): void {
  if (staged.entries.length === 0 && relative !== REGISTRY_FILE) {
    perFile.delete(relative);
    const removal = context.fileStore(relative).stageRemoval();
    if (removal) files.push({ change: { ...fileChange(relative, removal), after: null }, text: null });
    return;
  }
  perFile.set(relative, staged.entries);
  if (staged.change.before === staged.change.after) return;
  files.push({ change: fileChange(relative, staged), text: staged.text });
}

function finishStage(
  context: StagingContext,
  files: StagedRegistry['files'],
  perFile: Map<string, readonly RegistryEntry[]>,
  entries: RegistryEntry[],
  shards: ShardCount,
): StagedUnion {
  const names = [...perFile.keys()].sort();
  const load = { state: 'ok' as const, entries, text: context.nextLabel() };
  const union: RegistryUnion = {
    files: names,
    perFile,
    entries,
    load,
    version: 2,
    sorted: true,
    misplaced: { shards, count: 0 },
  };
  return { staged: { files, load, entries }, union };
}

function fileChange(file: string, staged: StagedFile): RegistryFileChange {
  return { file, ...staged.change };
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
