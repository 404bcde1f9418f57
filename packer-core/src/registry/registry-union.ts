import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import type { RegistryEntry, RegistryVersion } from '../contract/registry-schema.js';
import type { RegistryLoad } from './registry-file-store.js';
import { compareEntries } from './registry-layout.js';
import { REGISTRY_FILE, shardFileOf, type ShardCount } from './registry-shards.js';

/** The registry as loaded from its files, kept to answer the next load and stage without reading anything again. */
export interface RegistryUnion {
  files: readonly string[];
  perFile: ReadonlyMap<string, readonly RegistryEntry[]>;
  entries: RegistryEntry[];
  load: RegistryLoad & { state: 'ok' };
  version: RegistryVersion | undefined;
  /** True when `entries` is in path order (`compareEntries`); a lone format 1 file keeps its own order. */
  sorted: boolean;
  misplaced?: { shards: ShardCount; count: number };
}

/** One registry file as loaded, with its format (undefined when unknown). */
export interface LoadedRegistryFile {
  relative: string;
  load: RegistryLoad & { state: 'ok' };
  version: RegistryVersion | undefined;
}

/**
 * Builds the union of the loaded files: an id in two files is INVALID_REGISTRY (no union then).
 * `label` names a new union's load text (a union of shards has no single text of its own).
 */
export function unionOf(
  projectRoot: string,
  loads: readonly LoadedRegistryFile[],
  perFile: Map<string, readonly RegistryEntry[]>,
  label: () => string,
): { union: RegistryUnion | undefined; load: RegistryLoad } {
  const files = loads.map((item) => item.relative);
  let version: RegistryVersion | undefined;
  for (const { version: fileVersion } of loads) {
    if (fileVersion !== undefined && (version === undefined || fileVersion < version)) version = fileVersion;
  }
  if (loads.length === 0) {
    const load = { state: 'ok' as const, entries: [], text: null };
    return { union: { files, perFile, entries: load.entries, load, version, sorted: true }, load };
  }
  if (isSingleFile(files)) {
    const only = loads[0]!.load;
    const sorted = only.entries.every(
      (entry, index) => index === 0 || compareEntries(only.entries[index - 1]!, entry) < 0,
    );
    return { union: { files, perFile, entries: only.entries, load: only, version, sorted }, load: only };
  }
  const owner = new Map<string, string>();
  const entries: RegistryEntry[] = [];
  for (const { relative, load } of loads) {
    for (const entry of load.entries) {
      const other = owner.get(entry.id);
      if (other !== undefined) {
        const error = new PackerError(
          'INVALID_REGISTRY',
          `Asset id ${entry.id} appears in two registry files: ${other} and ${relative}.`,
          {
            file: path.join(projectRoot, relative),
            field: 'assets[].id',
            diagnostic: 'DUPLICATE_ID',
            hint: `Each asset id must be unique. This usually comes from a git merge where one branch moved the asset to another folder and the other edited it: keep the line whose path is right (in ${other} or ${relative}) and delete the other, then save.`,
          },
        );
        return { union: undefined, load: { state: 'read-only', error, text: '' } };
      }
      owner.set(entry.id, relative);
      entries.push(entry);
    }
  }
  entries.sort(entryOrder(entries));
  const load = { state: 'ok' as const, entries, text: label() };
  return { union: { files, perFile, entries, load, version, sorted: true }, load };
}

/** True for no registry file, or `packer.registry.json` alone. */
export function isSingleFile(files: readonly string[]): boolean {
  return files.length === 0 || (files.length === 1 && files[0] === REGISTRY_FILE);
}

/** True when every file loaded to the very entry list the union holds for it (nothing changed on disk). */
export function sameFiles(union: RegistryUnion, perFile: ReadonlyMap<string, readonly RegistryEntry[]>): boolean {
  if (union.perFile.size !== perFile.size) return false;
  for (const [relative, entries] of perFile) if (union.perFile.get(relative) !== entries) return false;
  return true;
}

/** Entries in another file than the one `shards` assigns them. */
export function countMisplaced(union: RegistryUnion, shards: ShardCount): number {
  let count = 0;
  for (const [relative, entries] of union.perFile)
    for (const entry of entries) if (shardFileOf(entry.path, shards) !== relative) count++;
  return count;
}

/** A UTF-16 surrogate: where JavaScript's string order and code point order (the registry's) can differ. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * `compareEntries`, or the same order through the engine's native string comparison when no path holds a surrogate
 * (UTF-16 order is code point order then): sorting the union of 256 shards at 100k entries with the char-by-char
 * comparator cost ~150 ms of a warm open.
 */
function entryOrder(entries: readonly RegistryEntry[]): (a: RegistryEntry, b: RegistryEntry) => number {
  if (entries.some((entry) => SURROGATE.test(entry.path))) return compareEntries;
  return (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
