import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import type { FileStat } from '../scan/scanner.js';

// An asset's contract view in a snapshot, and its badge (the worst severity of the findings naming it).
const SEVERITY_RANK = { info: 0, warning: 1, blocker: 2 } as const;

export function worstOf(list: readonly Diagnostic[] | undefined): AssetView['worstSeverity'] {
  let worst: Diagnostic['severity'] | undefined;
  for (const item of list ?? [])
    if (!worst || SEVERITY_RANK[item.severity] > SEVERITY_RANK[worst]) worst = item.severity;
  return worst;
}

export function newView(
  entry: RegistryEntry,
  stat: FileStat | undefined,
  digest: string | undefined,
  severity: AssetView['worstSeverity'],
): AssetView {
  // One literal per shape (no spread): a property added afterwards goes to a separate store (100k × 40 bytes).
  const { id, path, kind, settings, tags } = entry;
  let view: AssetView;
  if (stat) {
    const observation = Object.freeze(observationOf(stat, digest));
    view = severity
      ? { id, path, kind, settings, tags, status: 'present', observation, worstSeverity: severity }
      : { id, path, kind, settings, tags, status: 'present', observation };
  } else {
    view = severity
      ? { id, path, kind, settings, tags, status: 'missing', worstSeverity: severity }
      : { id, path, kind, settings, tags, status: 'missing' };
  }
  // Entries read from disk are frozen by the registry reader's line cache; freeze what it did not.
  if (!Object.isFrozen(entry.settings)) Object.freeze(entry.settings);
  if (!Object.isFrozen(entry.tags)) Object.freeze(entry.tags);
  return Object.freeze(view);
}

export function sameView(
  prior: AssetView,
  entry: RegistryEntry,
  stat: FileStat | undefined,
  digest: string | undefined,
  severity: AssetView['worstSeverity'],
): boolean {
  const seen = prior.observation;
  return (
    prior.path === entry.path &&
    prior.kind === entry.kind &&
    prior.settings === entry.settings &&
    prior.tags === entry.tags &&
    prior.worstSeverity === severity &&
    (seen === undefined
      ? stat === undefined
      : stat !== undefined && seen.size === stat.size && seen.mtimeMs === stat.mtimeMs && seen.digest === digest)
  );
}

export function observationOf(stat: FileStat, digest: string | undefined): NonNullable<AssetView['observation']> {
  return digest ? { size: stat.size, mtimeMs: stat.mtimeMs, digest } : { size: stat.size, mtimeMs: stat.mtimeMs };
}
