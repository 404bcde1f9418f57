import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { DivergenceEntry, PackBuildInfo, Snapshot, SnapshotSummary } from '../contract/snapshot-schema.js';
import { SECTIONS, severityOf, type Section } from './diagnostic-book.js';
import type { DerivedIndexes } from './derived-indexes.js';
import * as found from './snapshot-findings.js';

/**
 * The contract-shaped snapshot. Its lists are materialised when first read (then kept): a watcher change does not
 * rebuild a 100,000-item array that no reader may ask for; `summary` is computed with the state.
 */
export function lazySnapshot(
  derived: DerivedIndexes,
  fixed: {
    revision: number;
    projectName: string;
    registryState: Snapshot['registryState'];
    entries: readonly RegistryEntry[];
    summary: SnapshotSummary;
    lastBuilds: PackBuildInfo[];
  },
): Snapshot {
  const snapshot = {
    revision: fixed.revision,
    projectName: fixed.projectName,
    registryState: fixed.registryState,
  } as Snapshot;
  const lazy = <K extends 'assets' | 'untracked' | 'divergence' | 'diagnostics'>(
    key: K,
    make: () => Snapshot[K],
  ): void => {
    let value: Snapshot[K] | undefined;
    Object.defineProperty(snapshot, key, {
      enumerable: true,
      get: () => (value ??= Object.freeze(make()) as Snapshot[K]),
    });
  };
  lazy('assets', () => fixed.entries.map((entry) => derived.views.get(entry.id)!));
  lazy('untracked', () => [...derived.untracked.values()]);
  lazy('divergence', () => divergenceOf(derived));
  lazy('diagnostics', () => diagnosticsOf(derived));
  Object.defineProperty(snapshot, 'summary', { enumerable: true, value: fixed.summary });
  Object.defineProperty(snapshot, 'lastBuilds', { enumerable: true, value: fixed.lastBuilds });
  return Object.freeze(snapshot);
}

function divergenceOf(derived: DerivedIndexes): DivergenceEntry[] {
  const out: DivergenceEntry[] = [];
  for (const entry of derived.missing.values()) out.push(assetDivergence(derived, entry));
  for (const path of derived.untracked.keys()) {
    if (derived.moveTargets.has(path)) continue;
    out.push(untrackedFileDivergence(derived, path));
  }
  return out;
}

/** The divergence entry of a missing asset: `moved` when an outside move was found for it, else `missing`. */
export function assetDivergence(derived: DerivedIndexes, entry: RegistryEntry): DivergenceEntry {
  const move = derived.moves.moved.get(entry.id);
  const ambiguousWith = derived.moves.ambiguousAssets.get(entry.id);
  return Object.freeze(
    move
      ? {
          type: 'moved' as const,
          assetId: entry.id,
          from: entry.path,
          to: move.to,
          ...(move.similarity ? { similarity: Object.freeze({ ...move.similarity }) } : {}),
        }
      : {
          type: 'missing' as const,
          assetId: entry.id,
          path: entry.path,
          ...(ambiguousWith ? { ambiguousWith: Object.freeze([...ambiguousWith]) as string[] } : {}),
        },
  );
}

/** The divergence entry of an untracked file that is no outside move's target. */
export function untrackedFileDivergence(derived: DerivedIndexes, path: string): DivergenceEntry {
  const ambiguousWith = derived.moves.ambiguousFiles.get(path);
  return Object.freeze({
    type: 'untracked' as const,
    path,
    ...(ambiguousWith ? { ambiguousWith: Object.freeze([...ambiguousWith]) as string[] } : {}),
  });
}

function diagnosticsOf(derived: DerivedIndexes): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { book } = derived;
  const all = (section: Section): void => {
    for (const [, list] of book.section(section)) out.push(...list);
  };
  const capped = (section: Section, overflow: (more: number) => Diagnostic): void => {
    let taken = 0;
    for (const [, list] of book.section(section)) {
      if (taken++ >= found.LIST_LIMIT) break;
      out.push(...list);
    }
    const count = book.countsOf(section).keys;
    if (count > found.LIST_LIMIT) out.push(overflow(count - found.LIST_LIMIT));
  };
  all(SECTIONS.extra);
  all(SECTIONS.registry);
  all(SECTIONS.config);
  capped(SECTIONS.unsupported, found.moreUnsupported);
  all(SECTIONS.sidecarRegistered);
  all(SECTIONS.divergence);
  all(SECTIONS.ambiguous);
  all(SECTIONS.leftBehind);
  capped(SECTIONS.orphan, found.moreOrphans);
  let untracked = 0;
  for (const path of derived.untracked.keys()) {
    if (derived.moveTargets.has(path)) continue;
    if (untracked++ >= found.LIST_LIMIT) break;
    out.push(found.untrackedFile(path));
  }
  const untrackedCount = untrackedDivergence(derived);
  if (untrackedCount > found.LIST_LIMIT) out.push(found.moreUntracked(untrackedCount - found.LIST_LIMIT));
  all(SECTIONS.duplicate);
  all(SECTIONS.entry);
  all(SECTIONS.caseCollision);
  all(SECTIONS.escape);
  all(SECTIONS.nonPortable);
  return out;
}

function untrackedDivergence(derived: DerivedIndexes): number {
  return derived.untracked.size - derived.moveTargets.size;
}

export function summarize(
  derived: DerivedIndexes,
  assets: number,
  registryUnreadable?: SnapshotSummary['registryUnreadable'],
): SnapshotSummary {
  const { book, counts } = derived;
  const severities = { blocker: 0, warning: 0, info: 0 };
  for (const section of Object.values(SECTIONS)) {
    const of = book.countsOf(section);
    if (section === SECTIONS.unsupported || section === SECTIONS.orphan) {
      const severity = severityOf(section === SECTIONS.unsupported ? 'UNSUPPORTED_FILE_NAME' : 'ORPHAN_SIDECAR');
      severities[severity] += Math.min(of.keys, found.LIST_LIMIT) + (of.keys > found.LIST_LIMIT ? 1 : 0);
      continue;
    }
    severities.blocker += of.blocker;
    severities.warning += of.warning;
    severities.info += of.info;
  }
  const untracked = untrackedDivergence(derived);
  severities[severityOf('UNTRACKED_FILE')] +=
    Math.min(untracked, found.LIST_LIMIT) + (untracked > found.LIST_LIMIT ? 1 : 0);
  return Object.freeze({
    assets,
    // Kinds in name order, whatever order the counts were kept in.
    byKind: Object.fromEntries(Object.entries(counts.byKind).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    byStatus: { present: counts.present, missing: counts.missing },
    untracked: derived.untracked.size,
    missing: counts.missing,
    divergence: derived.missing.size + untracked,
    blockers: severities.blocker,
    warnings: severities.warning,
    infos: severities.info,
    totalBytes: counts.totalBytes,
    ...(registryUnreadable ? { registryUnreadable: Object.freeze(registryUnreadable) } : {}),
  });
}
