import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import type { RegistryEntry, RegistryVersion } from '../contract/registry-schema.js';
import type { RegistryLoad } from './registry-file-store.js';
import { describeChange } from './merge-registry.js';
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
 * `label` names a new union's load text (a union of shards has no single text of its own). A step per file.
 */
export function* unionSteps(
  projectRoot: string,
  loads: readonly LoadedRegistryFile[],
  perFile: Map<string, readonly RegistryEntry[]>,
  label: () => string,
): Generator<void, { union: RegistryUnion | undefined; load: RegistryLoad }, void> {
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
        const first = perFile.get(other)?.find((item) => item.id === entry.id) ?? entry;
        const error = duplicateIdError(projectRoot, { relative: other, entry: first }, { relative, entry });
        return { union: undefined, load: { state: 'read-only', error, text: '' } };
      }
      owner.set(entry.id, relative);
      entries.push(entry);
    }
    yield;
  }
  entries.sort(entryOrder(entries));
  const load = { state: 'ok' as const, entries, text: label() };
  return { union: { files, perFile, entries, load, version, sorted: true }, load };
}

/**
 * INVALID_REGISTRY (DUPLICATE_ID) for an asset id on a line in two registry files: names both files and both paths,
 * which of them is on disk, and what the lines differ in, so keeping one line loses nothing unseen. The usual cause
 * is a git merge where one branch moved the asset to another folder (another shard) and the other changed it.
 */
function duplicateIdError(
  projectRoot: string,
  a: { relative: string; entry: RegistryEntry },
  b: { relative: string; entry: RegistryEntry },
): PackerError {
  const id = b.entry.id;
  const onDisk = (item: typeof a): boolean => existsSync(path.join(projectRoot, item.entry.path));
  const [keep, drop] = onDisk(b) && !onDisk(a) ? [b, a] : [a, b];
  const decided = onDisk(keep) && !onDisk(drop);
  // The other line's values, as the change that turns the kept line into it (the path stays the kept one's).
  const { changes, commands } = describeChange(keep.entry, { ...drop.entry, path: keep.entry.path });
  const which = decided
    ? `Keep the line in ${keep.relative} (${keep.entry.path} is on disk, ${drop.entry.path} is not) and delete the one in ${drop.relative}`
    : `Keep the line whose path is right (in ${a.relative} or ${b.relative}) and delete the other`;
  const carry = changes.length
    ? ` The lines also differ (the ${decided ? `one in ${drop.relative}` : 'other'} has ${changes.join(', ')}): to keep those values, run ${commands.map((command) => `\`${command}\``).join(' and ')} once the file is saved.`
    : ' Both lines hold the same settings and tags.';
  return new PackerError(
    'INVALID_REGISTRY',
    `Asset id ${id} appears in two registry files: ${a.relative} (${a.entry.path}) and ${b.relative} (${b.entry.path}).`,
    {
      file: path.join(projectRoot, b.relative),
      field: 'assets[].id',
      diagnostic: 'DUPLICATE_ID',
      hint: `Each asset id must be unique; this usually comes from a git merge where one branch moved the asset to another folder and the other changed it. ${which}, then save.${carry}`,
    },
  );
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
