import type { DivergenceEntry } from '../contract/snapshot-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
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
  return {
    added: onlyIn(after, before, missingKeys, sortedMissing, sortedPaths, limit),
    resolved: onlyIn(before, after, missingKeys, sortedMissing, sortedPaths, limit),
  };
}

/**
 * Up to `limit` divergence entries of `state` among the candidates whose key `other` has no entry for, in snapshot
 * order, made as they are found. Each candidate is looked up in both states, nothing is collected first: a 100k add
 * resolves 100k untracked files, and a map of every candidate's key (with a closure each) on both sides held ~20 MB
 * at the top of the add's memory for an event that lists 1,000.
 */
function onlyIn(
  state: DerivedIndexes,
  other: DerivedIndexes,
  candidates: ReadonlySet<string>,
  missingKeys: readonly string[],
  paths: readonly string[],
  limit: number,
): DivergenceEntry[] {
  const out: DivergenceEntry[] = [];
  for (const key of missingKeys) {
    if (out.length >= limit) return out;
    const entry = state.missing.get(key);
    if (!entry || assetKeyOf(state, entry) === otherAssetKey(other, entry.id, candidates)) continue;
    out.push(assetDivergence(state, entry));
  }
  for (const path of paths) {
    if (out.length >= limit) return out;
    if (untrackedEntry(state, path) && !untrackedEntry(other, path)) out.push(untrackedFileDivergence(state, path));
  }
  return out;
}

/** The key of a missing asset's divergence entry: moved (with its target) or missing. */
function assetKeyOf(derived: DerivedIndexes, entry: RegistryEntry): string {
  const move = derived.moves.moved.get(entry.id);
  return move ? `moved:${entry.id}:${move.to}` : `missing:${entry.id}`;
}

/** The key of the entry `other` has for an asset among the candidates, if it has one. */
function otherAssetKey(other: DerivedIndexes, id: string, candidates: ReadonlySet<string>): string | undefined {
  const registered = other.entryById.get(id);
  if (!registered) return undefined;
  const key = missingKey(registered);
  const entry = candidates.has(key) ? other.missing.get(key) : undefined;
  return entry ? assetKeyOf(other, entry) : undefined;
}

/** Whether a state lists an untracked path as divergence (the target of an outside move is listed as the move). */
function untrackedEntry(derived: DerivedIndexes, path: string): boolean {
  return derived.untracked.has(path) && !derived.moveTargets.has(path);
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
