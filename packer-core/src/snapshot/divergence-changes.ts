import type { DivergenceEntry } from '../contract/snapshot-schema.js';
import type { DerivedIndexes } from './derived-indexes.js';
import { assetDivergence, untrackedFileDivergence } from './lazy-snapshot.js';
import { missingKey } from './snapshot-derivation.js';
import type { SnapshotState } from './snapshot-state.js';

/** What `divergence.detected` and `divergence.resolved` report between two states, in snapshot order. */
export interface DivergenceChanges {
  /** Entries of `next` whose key (moved asset and target, missing asset, untracked path) `previous` did not have. */
  added: DivergenceEntry[];
  /** Entries of `previous` whose key `next` does not have. */
  resolved: DivergenceEntry[];
}

/**
 * The divergence entries that appeared and went away between two states, by key, looking only at what can differ:
 * the missing records and untracked files whose persistent-map chunks the states do not share (see
 * `PersistentMap.changedKeys`), and the assets and files an outside move names in either state. A one-asset commit or
 * a one-file watcher batch costs what it touched, not a diff of two 100,000-entry divergence lists. At most `limit`
 * entries of each list are made (an event lists the first 1,000).
 */
export function divergenceChanges(
  previous: SnapshotState,
  next: SnapshotState,
  limit = Number.POSITIVE_INFINITY,
): DivergenceChanges {
  const before = previous.derived;
  const after = next.derived;
  if (before === after) return { added: [], resolved: [] };
  // Missing assets, by their key in `missing` (path\0id); an asset with a move in either state may change key.
  const missingKeys = new Set(after.missing.changedKeys(before.missing));
  for (const id of new Set([...before.moves.moved.keys(), ...after.moves.moved.keys()])) {
    for (const derived of [before, after]) {
      const entry = derived.entryById.get(id);
      if (entry) missingKeys.add(missingKey(entry));
    }
  }
  const paths = new Set(after.untracked.changedKeys(before.untracked));
  for (const path of [...before.moveTargets, ...after.moveTargets]) paths.add(path);
  const sortedMissing = [...missingKeys].sort();
  const sortedPaths = [...paths].sort();
  const was = itemsOf(before, sortedMissing, sortedPaths);
  const is = itemsOf(after, sortedMissing, sortedPaths);
  const only = (items: Map<string, () => DivergenceEntry>, other: Map<string, () => DivergenceEntry>) => {
    const out: DivergenceEntry[] = [];
    for (const [key, make] of items) {
      if (out.length >= limit) break;
      if (!other.has(key)) out.push(make());
    }
    return out;
  };
  return { added: only(is, was), resolved: only(was, is) };
}

/** The divergence keys of one state among the candidates, each with its entry (made only when reported). */
function itemsOf(
  derived: DerivedIndexes,
  missingKeys: readonly string[],
  paths: readonly string[],
): Map<string, () => DivergenceEntry> {
  const items = new Map<string, () => DivergenceEntry>();
  for (const key of missingKeys) {
    const entry = derived.missing.get(key);
    if (!entry) continue;
    const move = derived.moves.moved.get(entry.id);
    items.set(move ? `moved:${entry.id}:${move.to}` : `missing:${entry.id}`, () => assetDivergence(derived, entry));
  }
  for (const path of paths) {
    if (!derived.untracked.has(path) || derived.moveTargets.has(path)) continue;
    items.set(`untracked:${path}`, () => untrackedFileDivergence(derived, path));
  }
  return items;
}

/** The first `limit` divergence entries of a state, in snapshot order, without making the whole list. */
export function firstDivergence(state: SnapshotState, limit: number): DivergenceEntry[] {
  const { derived } = state;
  const out: DivergenceEntry[] = [];
  for (const entry of derived.missing.values()) {
    if (out.length >= limit) return out;
    out.push(assetDivergence(derived, entry));
  }
  for (const path of derived.untracked.keys()) {
    if (out.length >= limit) return out;
    if (!derived.moveTargets.has(path)) out.push(untrackedFileDivergence(derived, path));
  }
  return out;
}
