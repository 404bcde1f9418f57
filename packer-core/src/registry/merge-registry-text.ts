import type { Diagnostic } from '../contract/diagnostics.js';
import { toPackerError, type PackerError } from '../contract/errors.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { CONFLICT_MARKERS } from './conflict-markers.js';
import { entryBody, parseRegistry, readRegistry, serializeRegistry } from './registry-codec.js';
import { compareEntries, REGISTRY_FOOTER, REGISTRY_HEADER } from './registry-layout.js';
import { REGISTRY_FOLDER } from './registry-shards.js';
import {
  mergeRegistry,
  type MergeSideNames,
  type RegistryMergeConflict,
  type RegistryMergeWarning,
} from './merge-registry.js';

export interface RegistryTextMergeOptions {
  /** The registry's name in messages and errors (git's `%P`, or `packer.registry.json`). */
  file: string;
  /** The project folder, for the reader's path checks. */
  projectRoot: string;
  /** Labels on the conflict markers and in messages; default `ours` and `theirs`. */
  names?: MergeSideNames;
}

export interface RegistryTextMerge {
  /** True when the text is a merged registry; false when it holds conflict markers. */
  clean: boolean;
  /** What to leave in the work tree: format 2, validated by the reader when clean; conflict markers otherwise. */
  text: string;
  conflicts: RegistryMergeConflict[];
  diagnostics: Diagnostic[];
  warnings: RegistryMergeWarning[];
  /** A side the reader refuses (already conflicted, invalid): the merge could not go by id and marks the whole file. */
  unreadable?: { side: 'base' | 'ours' | 'theirs'; error: PackerError };
}

/**
 * The registry merge driver's work, on texts: reads the three versions with the reader (formats 1 and 2; an empty
 * base is an empty registry, as git passes for a file both sides added), merges them by id (`mergeRegistry`) and
 * lays out the result in format 2. A clean result is parsed again by the reader before it is returned, so the
 * driver never leaves a registry the packer would refuse. With conflicts, each conflicting asset's two lines are
 * wrapped in git's markers at its place in path order, the rest of the file merged; the reader refuses that text
 * until the markers are resolved, and either side of each block gives a registry it accepts (checked here too).
 */
export function mergeRegistryTexts(
  base: string,
  ours: string,
  theirs: string,
  options: RegistryTextMergeOptions,
): RegistryTextMerge {
  const names = options.names ?? { ours: 'ours', theirs: 'theirs' };
  const read = (side: 'base' | 'ours' | 'theirs', text: string): RegistryEntry[] | PackerError => {
    if (side === 'base' && text.trim() === '') return [];
    try {
      return readRegistry(text, `${options.file} (${side === 'base' ? 'base' : names[side]})`, options.projectRoot)
        .entries;
    } catch (error) {
      return toPackerError(error);
    }
  };
  const sides = { base: read('base', base), ours: read('ours', ours), theirs: read('theirs', theirs) };
  for (const side of ['ours', 'theirs', 'base'] as const) {
    const entries = sides[side];
    if (!Array.isArray(entries)) {
      return {
        clean: false,
        text: wholeFileConflict(ours, theirs, names),
        conflicts: [],
        diagnostics: [],
        warnings: [],
        unreadable: { side, error: entries },
      };
    }
  }
  const merge = mergeRegistry(
    sides.base as RegistryEntry[],
    sides.ours as RegistryEntry[],
    sides.theirs as RegistryEntry[],
    names,
    { removalMayBeMove: isShardPath(options.file) },
  );
  const { conflicts, diagnostics, warnings } = merge;
  if (conflicts.length === 0) {
    const text = serializeRegistry(merge.entries);
    // The reader's own check: throws rather than return what it refuses.
    parseRegistry(text, options.file, options.projectRoot);
    return { clean: true, text, conflicts, diagnostics, warnings };
  }
  for (const side of ['ours', 'theirs'] as const) {
    parseRegistry(
      serializeRegistry([...merge.entries, ...conflicts.flatMap((conflict) => conflict[side] ?? [])]),
      options.file,
      options.projectRoot,
    );
  }
  return { clean: false, text: conflictedText(merge.entries, conflicts, names), conflicts, diagnostics, warnings };
}

/** Format 2 with each conflicting asset as a marker block holding its two lines, placed by our side's path. */
function conflictedText(
  entries: readonly RegistryEntry[],
  conflicts: readonly RegistryMergeConflict[],
  names: MergeSideNames,
): string {
  type Item = { key: RegistryEntry; conflict?: RegistryMergeConflict };
  const items: Item[] = [
    ...entries.map((key) => ({ key })),
    ...conflicts.map((conflict) => ({ key: (conflict.ours ?? conflict.theirs)!, conflict })),
  ];
  items.sort((a, b) => compareEntries(a.key, b.key));
  const lines = [REGISTRY_HEADER];
  items.forEach((item, index) => {
    // The separator a line at this place carries, on both sides of a block: keeping either side leaves the layout
    // whole.
    const separator = index === 0 ? ' ' : ',';
    if (!item.conflict) {
      lines.push(separator + entryBody(item.key));
      return;
    }
    // A side that removed the asset from this file is an empty side: keeping it keeps the removal.
    const side = (entry: RegistryEntry | undefined): string[] => (entry ? [separator + entryBody(entry)] : []);
    lines.push(
      `${CONFLICT_MARKERS.ours} ${names.ours}`,
      ...side(item.conflict.ours),
      CONFLICT_MARKERS.separator,
      ...side(item.conflict.theirs),
      `${CONFLICT_MARKERS.theirs} ${names.theirs}`,
    );
  });
  lines.push(REGISTRY_FOOTER);
  return lines.join('\n') + '\n';
}

/** True for git's `%P` of a shard of a sharded registry (`…/packer.registry/<hex>.json`), at any depth. */
function isShardPath(file: string): boolean {
  const parts = file.replace(/\\/g, '/').split('/');
  return (
    parts.length >= 2 && parts[parts.length - 2] === REGISTRY_FOLDER && /^[0-9a-f]{1,3}\.json$/.test(parts.at(-1)!)
  );
}

/** When a side cannot be read by id: the whole of both texts in one marker block, as git's own merge would leave
 * them. */
function wholeFileConflict(ours: string, theirs: string, names: MergeSideNames): string {
  const withNewline = (text: string): string => (text === '' || text.endsWith('\n') ? text : text + '\n');
  return `${CONFLICT_MARKERS.ours} ${names.ours}\n${withNewline(ours)}${CONFLICT_MARKERS.separator}\n${withNewline(theirs)}${CONFLICT_MARKERS.theirs} ${names.theirs}\n`;
}
