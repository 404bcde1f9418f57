import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry, SettingValue } from '../contract/registry-schema.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { canonicalEntry, entryBody, sameEntryValues as sameEntry } from './registry-codec.js';
import { compareEntries } from './registry-layout.js';
import { shellQuote } from './shell-quote.js';

/** One asset both sides changed in ways that cannot both hold: the user picks. */
export interface RegistryMergeConflict {
  id: string;
  /**
   * What both sides set differently: `path`, `kind`, `settings.<key>`; for a removal met by a change, what the
   * changing side changed (`tags` too).
   */
  fields: string[];
  /**
   * The asset as merged, with our side's values for the conflicting fields (every other change of both sides kept).
   * Absent when our side removed it from this file (see `removedBy`).
   */
  ours?: RegistryEntry;
  /** Likewise with their side's values; absent when their side removed it from this file. */
  theirs?: RegistryEntry;
  /**
   * Set when one side removed the asset from this registry file and the other changed it, in a shard file
   * (`MergeOptions.removalMayBeMove`): the removal may be a move to another shard, so neither is taken.
   */
  removedBy?: 'ours' | 'theirs';
  /** One sentence for people. */
  message: string;
  /** How to resolve it, when more than keeping one side of the block needs saying. */
  hint?: string;
}

/** Something the merge decided that a person should know about. */
export interface RegistryMergeWarning {
  assetId: string;
  path: string;
  message: string;
}

export interface RegistryMerge {
  /** The merged registry without the conflicting assets, in file order (by path, then id). */
  entries: RegistryEntry[];
  /** Assets both sides changed incompatibly; empty for a clean merge. */
  conflicts: RegistryMergeConflict[];
  /** DUPLICATE_PATH blockers of the merged registry (one per path, naming every id), each with its fix. */
  diagnostics: Diagnostic[];
  /** A deletion on one side met a change on the other: the change was kept. */
  warnings: RegistryMergeWarning[];
}

export interface MergeSideNames {
  ours: string;
  theirs: string;
}

export interface MergeOptions {
  /**
   * True for a shard of a sharded registry (`packer.registry/<hex>.json`). Git merges each shard on its own, so an
   * asset moved to another folder by one side is, in its old shard, a removal: met by the other side's change, it is a
   * conflict there instead of a kept asset, which would give the id a second line (the moved one, in another shard).
   */
  removalMayBeMove?: boolean;
}

type Pick<T> = { value: T } | { conflict: true };

/** A conflict of two changes: both sides hold the asset. */
type FieldConflict = Omit<RegistryMergeConflict, 'message' | 'ours' | 'theirs'> & {
  ours: RegistryEntry;
  theirs: RegistryEntry;
};

/** Three-way choice of one value: a one-sided change wins; two different changes conflict. `base` undefined =
 * absent. */
function pick<T>(
  base: T | undefined,
  ours: T | undefined,
  theirs: T | undefined,
  baseKnown: boolean,
): Pick<T | undefined> {
  if (ours === theirs) return { value: ours };
  if (baseKnown && ours === base) return { value: theirs };
  if (baseKnown && theirs === base) return { value: ours };
  return { conflict: true };
}

/**
 * Merges one asset both sides hold. `base` is undefined when both sides added the same id (a cherry-pick): then any
 * difference is a conflict, since neither side's value is the unchanged one. Tags merge as sets and never conflict.
 */
function mergeEntry(
  base: RegistryEntry | undefined,
  ours: RegistryEntry,
  theirs: RegistryEntry,
): { merged: RegistryEntry } | { conflict: FieldConflict } {
  const known = base !== undefined;
  const fields: string[] = [];
  const path = pick(base?.path, ours.path, theirs.path, known);
  const kind = pick(base?.kind, ours.kind, theirs.kind, known);
  if ('conflict' in path) fields.push('path');
  if ('conflict' in kind) fields.push('kind');
  const settingKeys = new Set([
    ...Object.keys(base?.settings ?? {}),
    ...Object.keys(ours.settings),
    ...Object.keys(theirs.settings),
  ]);
  const settings: [string, SettingValue][] = [];
  const oursSettings: [string, SettingValue][] = [];
  const theirsSettings: [string, SettingValue][] = [];
  const own = (record: Record<string, SettingValue> | undefined, key: string): SettingValue | undefined =>
    record && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
  for (const key of [...settingKeys].sort()) {
    const choice = pick(own(base?.settings, key), own(ours.settings, key), own(theirs.settings, key), known);
    if ('conflict' in choice) {
      fields.push(`settings.${key}`);
      const [a, b] = [own(ours.settings, key), own(theirs.settings, key)];
      if (a !== undefined) oursSettings.push([key, a]);
      if (b !== undefined) theirsSettings.push([key, b]);
    } else if (choice.value !== undefined) {
      settings.push([key, choice.value]);
    }
  }
  const baseTags = new Set(base?.tags ?? []);
  const oursTags = new Set(ours.tags);
  const theirsTags = new Set(theirs.tags);
  // Per tag, a boolean three-way merge: a side that changed its presence wins (both changing means both agree).
  const tags = [...new Set([...ours.tags, ...theirs.tags])].filter((tag) =>
    oursTags.has(tag) === baseTags.has(tag) ? theirsTags.has(tag) : oursTags.has(tag),
  );
  const build = (side: RegistryEntry, sideSettings: [string, SettingValue][]): RegistryEntry =>
    canonicalEntry({
      id: ours.id,
      path: 'value' in path ? path.value! : side.path,
      kind: 'value' in kind ? kind.value! : side.kind,
      settings: Object.fromEntries([...settings, ...sideSettings]),
      tags,
    });
  if (fields.length === 0) return { merged: build(ours, []) };
  return { conflict: { id: ours.id, fields, ours: build(ours, oursSettings), theirs: build(theirs, theirsSettings) } };
}

function conflictMessage(conflict: FieldConflict, names: MergeSideNames): string {
  if (conflict.fields.includes('path') && conflict.ours.path !== conflict.theirs.path) {
    return `Asset ${conflict.id} was moved to two places: ${conflict.ours.path} (${names.ours}) and ${conflict.theirs.path} (${names.theirs}).`;
  }
  return `Asset ${conflict.id} (${conflict.ours.path}) has ${conflict.fields.join(', ')} set differently by ${names.ours} and ${names.theirs}.`;
}

/**
 * Three-way merge of registries by asset id: `base` is the common ancestor, `ours` and `theirs` the two sides.
 * Additions of both sides are kept; a one-sided move, kind or setting change is taken; tags merge as sets. A true
 * conflict is the same asset moved to two paths, or its kind or one setting changed to two values: such assets
 * are listed in `conflicts`, every other asset is merged.
 *
 * Decisions: an asset one side removed and the other changed is kept with the change, and a warning (the removal
 * is one `packer rm` away, a lost change would be silent; if the file is gone too, the snapshot shows MISSING_FILE).
 * Two different ids on one path (both sides registered the same new file, or a move onto the other side's
 * addition) are both kept and reported as DUPLICATE_PATH with the fix: no entry is lost, and which one to keep
 * is the user's call, as the snapshot already says.
 */
export function mergeRegistry(
  base: readonly RegistryEntry[],
  ours: readonly RegistryEntry[],
  theirs: readonly RegistryEntry[],
  names: MergeSideNames = { ours: 'ours', theirs: 'theirs' },
  options: MergeOptions = {},
): RegistryMerge {
  const baseById = new Map(base.map((entry) => [entry.id, entry]));
  const oursById = new Map(ours.map((entry) => [entry.id, entry]));
  const theirsById = new Map(theirs.map((entry) => [entry.id, entry]));
  const entries: RegistryEntry[] = [];
  const conflicts: RegistryMergeConflict[] = [];
  const warnings: RegistryMergeWarning[] = [];
  const same = (a: RegistryEntry, b: RegistryEntry): boolean => sameEntry(a, b) || entryBody(a) === entryBody(b);

  for (const id of new Set([...oursById.keys(), ...theirsById.keys()])) {
    const o = baseById.get(id);
    const a = oursById.get(id);
    const b = theirsById.get(id);
    if (a && b) {
      // Most assets of a registry are untouched or changed on one side: no field-by-field merge for them.
      if (sameEntry(a, b) || (o && sameEntry(o, b))) {
        entries.push(canonicalEntry(a));
        continue;
      }
      if (o && sameEntry(o, a)) {
        entries.push(canonicalEntry(b));
        continue;
      }
      const result = mergeEntry(o, a, b);
      if ('merged' in result) entries.push(result.merged);
      else conflicts.push({ ...result.conflict, message: conflictMessage(result.conflict, names) });
      continue;
    }
    const kept = (a ?? b)!;
    if (!o) {
      entries.push(canonicalEntry(kept)); // added on one side
    } else if (!same(o, kept)) {
      const [changer, remover] = a ? [names.ours, names.theirs] : [names.theirs, names.ours];
      if (options.removalMayBeMove) {
        const conflict = removalMetChange(o, canonicalEntry(kept), a ? 'theirs' : 'ours', { changer, remover });
        // No field differs (the same entry written differently): an unchanged asset, whose removal wins.
        if (conflict) conflicts.push(conflict);
        continue;
      }
      entries.push(canonicalEntry(kept));
      warnings.push({
        assetId: id,
        path: kept.path,
        message: `Asset ${id} was removed by ${remover} and changed by ${changer}; the merge kept it with the change. Remove it with \`packer rm ${id}\` if the removal should win.`,
      });
    }
    // else: removed on one side, unchanged on the other: the removal wins.
  }
  entries.sort(compareEntries);
  return { entries, conflicts, diagnostics: duplicatePaths(entries, names), warnings };
}

/**
 * The conflict of an asset one side removed from a shard file and the other changed. The fix names the changing
 * side's edits as the commands that make them again, so taking the removal (a move's usual answer) loses nothing.
 */
function removalMetChange(
  base: RegistryEntry,
  changed: RegistryEntry,
  removedBy: 'ours' | 'theirs',
  names: { changer: string; remover: string },
): RegistryMergeConflict | undefined {
  const { fields, changes, commands } = describeChange(base, changed);
  if (fields.length === 0) return undefined;
  return {
    id: base.id,
    fields,
    ...(removedBy === 'ours' ? { theirs: changed } : { ours: changed }),
    removedBy,
    message:
      `Asset ${base.id} (${base.path}) was removed here by ${names.remover} and changed by ${names.changer} ` +
      `(${changes.join(', ')}): in a sharded registry the removal may be a move to another folder's shard file, ` +
      `where the asset has its other line.`,
    hint:
      `If ${names.remover} moved it, keep the empty side, then after the merge run ` +
      `${commands.map((command) => `\`${command}\``).join(' and ')} so the change is not lost; if ${names.remover} ` +
      `removed it, keep the empty side; to keep it here, keep the line.`,
  };
}

/** What changed from `base` to `changed`: field names, words for people, and `packer` commands that redo it. */
export function describeChange(
  base: RegistryEntry,
  changed: RegistryEntry,
): { fields: string[]; changes: string[]; commands: string[] } {
  const fields: string[] = [];
  const changes: string[] = [];
  const set: string[] = [];
  const commands: string[] = [];
  if (changed.path !== base.path) {
    fields.push('path');
    changes.push(`moved to ${changed.path}`);
    commands.push(`packer mv ${base.id} ${shellQuote(changed.path)}`);
  }
  if (changed.kind !== base.kind) {
    fields.push('kind');
    changes.push(`kind ${changed.kind}`);
    set.push('--kind', shellQuote(changed.kind));
  }
  const own = (record: Record<string, SettingValue>, key: string): SettingValue | undefined =>
    Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
  for (const key of [...new Set([...Object.keys(base.settings), ...Object.keys(changed.settings)])].sort()) {
    const value = own(changed.settings, key);
    if (value === own(base.settings, key)) continue;
    fields.push(`settings.${key}`);
    changes.push(value === undefined ? `setting ${key} removed` : `${key}=${String(value)}`);
    set.push(shellQuote(`${key}=${value === undefined ? '' : String(value)}`));
  }
  const added = changed.tags.filter((tag) => !base.tags.includes(tag));
  const removed = base.tags.filter((tag) => !changed.tags.includes(tag));
  if (added.length || removed.length) fields.push('tags');
  for (const tag of added) {
    changes.push(`tag ${tag} added`);
    set.push('--tag', shellQuote(tag));
  }
  for (const tag of removed) {
    changes.push(`tag ${tag} removed`);
    set.push('--untag', shellQuote(tag));
  }
  if (set.length) commands.push(`packer set ${base.id} ${set.join(' ')} --yes`);
  return { fields, changes, commands };
}

/** One DUPLICATE_PATH per path that more than one merged entry claims, naming every id and the fix. */
function duplicatePaths(entries: readonly RegistryEntry[], names: MergeSideNames): Diagnostic[] {
  const out: Diagnostic[] = [];
  // Entries are sorted by path, so the claimants of one path are adjacent.
  for (let start = 0; start < entries.length;) {
    let end = start + 1;
    while (end < entries.length && entries[end]!.path === entries[start]!.path) end++;
    if (end - start > 1) {
      const ids = entries.slice(start, end).map((entry) => entry.id);
      const path = entries[start]!.path;
      out.push(
        diagnostic(
          'DUPLICATE_PATH',
          `After merging ${names.ours} and ${names.theirs}, ${path} is claimed by ${ids.length} registry entries (${ids.join(', ')}).`,
          { assetId: ids[0]!, path },
          `Keep one: \`packer rm ${ids.slice(1).join(' ')}\` unregisters the others (the file stays).`,
        ),
      );
    }
    start = end;
  }
  return out;
}
