import { type ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import type { DigestCache } from '../digest/digest-cache.js';
import { kindClassifier } from '../config/classify-kind.js';
import type { RegistryLoad } from '../registry/registry-store.js';
import type { FileStat } from '../scan/scanner.js';
import { sidecarRules } from '../scan/sidecar-rules.js';
import { DiagnosticBook, SECTIONS } from './diagnostic-book.js';
import type { DerivedIndexes } from './derived-indexes.js';
import type { FingerprintLookup } from './find-outside-moves.js';
import { PersistentMap } from './persistent-map.js';
import { listOf, oneOrMany, type OneOrMany } from './one-or-many.js';
import { Derivation, missingKey, NO_MOVES } from './snapshot-derivation.js';
import type { SnapshotState } from './snapshot-state.js';
import * as found from './snapshot-findings.js';
import { collision } from './portable-names.js';
import { runSteps } from '../workspace/turn-event-loop.js';

export interface SnapshotInput {
  revision: number;
  config: ProjectConfig;
  registry: RegistryLoad;
  files: PersistentMap<FileStat>;
  escapes: readonly string[];
  digests: Pick<DigestCache, 'get' | 'lastKnown'>;
  /** Content fingerprints, to recognise files renamed and edited outside the packer (identical content needs none). */
  fingerprints?: FingerprintLookup | undefined;
  lastBuilds: readonly PackBuildInfo[];
  /** Diagnostics from outside the scan: crash recovery, an invalid config kept at its last good value. */
  extraDiagnostics: readonly Diagnostic[];
  /** The state this one replaces: with `changedPaths`, only what changed since it is derived again. */
  previous?: SnapshotState | undefined;
  /**
   * Paths whose observation (stat or digest) may differ from `previous`'s. Registry changes are found by comparing
   * the entry arrays. Absent: everything is derived from scratch (a config or registry-state change does that too).
   */
  changedPaths?: Iterable<string> | undefined;
}

export interface SnapshotBuild {
  state: SnapshotState;
  /** Files the snapshot would show a digest for once hashed: registered, or untracked the size of a missing asset. */
  unhashed: [string, FileStat][];
  /** Registered files among the paths derived again (their content fingerprints may be due). */
  registeredTouched: string[];
}

const EMPTY: DerivedIndexes = Object.freeze({
  registryOk: true,
  extra: [],
  escapes: [],
  entryById: PersistentMap.empty(),
  claims: PersistentMap.empty(),
  views: PersistentMap.empty(),
  viewsByPath: PersistentMap.empty(),
  untracked: PersistentMap.empty(),
  untrackedBySize: PersistentMap.empty(),
  lowerRegistered: PersistentMap.empty(),
  lowerUntracked: PersistentMap.empty(),
  missing: PersistentMap.empty(),
  orphans: PersistentMap.empty(),
  book: DiagnosticBook.EMPTY,
  moves: NO_MOVES,
  moveTargets: new Set<string>(),
  counts: { byKind: {}, present: 0, missing: 0, totalBytes: 0 },
}) as DerivedIndexes;

/** Derives a snapshot from (registry, disk observation): divergence is computed, never accumulated. */
export function buildSnapshot(input: SnapshotInput): SnapshotState {
  return deriveSnapshot(input).state;
}

/**
 * The snapshot of (registry, observation), derived again only where something changed: the touched paths, the
 * entries added or removed, and the groups they take part in (a case-collision group, a size bucket, a sidecar and
 * its owner, the missing/untracked pairs of move detection). Without a usable previous state, everything is
 * touched: the from-scratch build is the same code over every path.
 */
export function deriveSnapshot(input: SnapshotInput): SnapshotBuild {
  return runSteps(deriveSnapshotSteps(input));
}

/** Paths a derivation observes between two of its steps (see deriveSnapshotSteps). */
const DERIVE_STEP = 1024;

/**
 * deriveSnapshot a step at a time, pausing every DERIVE_STEP paths and between its stages, so that an open can let
 * the event loop turn while it derives (a 1M-file project from scratch: ~9 s). The caller must not change what it
 * gave as input (nor publish another state) until the last step.
 */
export function* deriveSnapshotSteps(input: SnapshotInput): Generator<void, SnapshotBuild, void> {
  const { config, registry, files, previous } = input;
  const registryOk = registry.state === 'ok';
  const entries = registryOk ? registry.entries : [];
  let incremental =
    previous !== undefined &&
    input.changedPaths !== undefined &&
    previous.config === config &&
    registryOk &&
    previous.derived.registryOk;
  let { added, removed } = incremental
    ? diffEntries(previous!.entries, entries)
    : { added: entries, removed: [] as RegistryEntry[] };
  const changedPaths = incremental ? new Set(input.changedPaths) : undefined;
  if (incremental && isBulk(changedPaths!.size + added.length + removed.length, files.size + entries.length)) {
    // A change touching a large share of the project (a 100,000-file add) is derived from scratch: every index
    // built once in bulk from sorted keys, where per-path edits would build a change map per index, copy every
    // chunk and leave the previous state's indexes to be diffed entry by entry. The result is the same state.
    incremental = false;
    ({ added, removed } = { added: entries, removed: [] });
  }
  const prior = incremental ? previous!.derived : EMPTY;
  const sidecars = sidecarRules(config);
  const classify = kindClassifier(config);
  const book = prior.book.edit();
  const build = new Derivation(input, prior, book, incremental ? previous : undefined, !incremental);

  // 1. The registry: entries by id and the claims on each path.
  const touched = incremental ? changedPaths! : new Set<string>();
  const claimEdits = new Map<string, RegistryEntry[]>();
  const claimList = (path: string): RegistryEntry[] => {
    let list = claimEdits.get(path);
    if (!list) {
      const kept = listOf(prior.claims.get(path));
      claimEdits.set(path, (list = kept ? [...kept] : []));
    }
    return list;
  };
  const entryChanges = new Map<string, RegistryEntry | undefined>();
  // From scratch, entries in path order (the registry's file order) are grouped into claims in one pass.
  const bulk = incremental ? undefined : claimsInPathOrder(added);
  for (const entry of removed) {
    entryChanges.set(entry.id, undefined);
    const list = claimList(entry.path);
    list.splice(list.indexOf(entry), 1);
    book.set(SECTIONS.entry, missingKey(entry), undefined);
    build.missingChanges.set(missingKey(entry), undefined);
    build.viewChanges.set(entry.id, undefined);
    if (incremental) touched.add(entry.path);
  }
  let registered = 0;
  for (const entry of added) {
    entryChanges.set(entry.id, entry);
    if (!bulk) claimList(entry.path).push(entry);
    // Keyed only when there is something to file or to replace: a first build skips 100k key strings.
    const findings = found.entryDiagnostics(entry, config);
    if (findings || incremental) book.set(SECTIONS.entry, missingKey(entry), findings);
    if (incremental) touched.add(entry.path);
    if (++registered % DERIVE_STEP === 0) yield;
  }
  build.entryById = prior.entryById.with(entryChanges);
  yield;
  const claimChanges = new Map<string, OneOrMany<RegistryEntry> | undefined>();
  for (const [path, list] of claimEdits) {
    if (list.length > 1) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    claimChanges.set(path, oneOrMany(list));
  }
  build.claims = bulk ? PersistentMap.fromSortedColumns(bulk.paths, bulk.claims) : prior.claims.with(claimChanges);

  // 2. Each touched path, and the sidecars whose owner it is.
  if (sidecars && incremental)
    for (const path of [...touched]) for (const sidecar of sidecars.pathsOf(path)) touched.add(sidecar);
  let observed = 0;
  if (incremental) {
    for (const path of [...touched].sort()) {
      build.observePath(path, files.get(path), listOf(build.claims.get(path)), registryOk, sidecars, classify);
      if (++observed % DERIVE_STEP === 0) yield;
    }
  } else {
    // From scratch: walk the observed files and the claimed paths together, both in path order, no lookups.
    const claimed = bulk?.paths ?? [...build.claims.keys()];
    const claimsAt = (index: number): readonly RegistryEntry[] | undefined =>
      listOf(bulk ? bulk.claims[index] : claimChanges.get(claimed[index]!));
    let next = 0;
    for (const [path, stat] of files) {
      for (; next < claimed.length && claimed[next]! < path; next++) {
        build.observePath(claimed[next]!, undefined, claimsAt(next), registryOk, sidecars, classify);
      }
      const claims = next < claimed.length && claimed[next] === path ? claimsAt(next++) : undefined;
      build.observePath(path, stat, claims, registryOk, sidecars, classify);
      if (++observed % DERIVE_STEP === 0) yield;
    }
    for (; next < claimed.length; next++)
      build.observePath(claimed[next]!, undefined, claimsAt(next), registryOk, sidecars, classify);
  }
  yield;
  build.settlePathIndexes();
  yield;

  // 3. Groups: case collisions of the touched lower-case forms; then the (small) global parts.
  for (const lower of build.touchedLower) {
    const group = [...(listOf(build.lowerRegistered.get(lower)) ?? []), ...(build.lowerUntracked.get(lower) ?? [])];
    book.set(SECTIONS.caseCollision, lower, group.length > 1 ? [collision(group)] : undefined);
  }
  build.settleMoves(sidecars);
  if (!incremental) {
    book.set(
      SECTIONS.registry,
      '',
      registry.state === 'read-only' ? [found.invalidRegistry(registry.error)] : undefined,
    );
    book.replaceSection(SECTIONS.config, keyed(found.configDiagnostics(config)));
  }
  if (!sameItems(prior.extra, input.extraDiagnostics))
    book.replaceSection(SECTIONS.extra, keyed(input.extraDiagnostics));
  if (!sameItems(prior.escapes, input.escapes))
    book.replaceSection(SECTIONS.escape, new Map(input.escapes.map((path) => [path, [found.pathOutside(path)]])));

  // 4. Asset views of every entry whose observation or findings changed.
  yield;
  const committed = book.commit();
  yield;
  build.settleViews(committed, book.dirtyAssets);
  yield;
  return build.finish(committed, entries, registryOk);
}

/**
 * The claims of entries given in path order (JavaScript string order, as the persistent maps keep keys): each path's
 * entries, sorted by id, as parallel arrays. Undefined when the entries are not in that order (a format 1 file keeps
 * its own order; code point order differs for surrogates): the caller then groups them through a map.
 */
function claimsInPathOrder(
  entries: readonly RegistryEntry[],
): { paths: string[]; claims: OneOrMany<RegistryEntry>[] } | undefined {
  const paths: string[] = [];
  const claims: OneOrMany<RegistryEntry>[] = [];
  for (let at = 0; at < entries.length;) {
    const path = entries[at]!.path;
    if (paths.length > 0 && !(paths[paths.length - 1]! < path)) return undefined;
    let end = at + 1;
    while (end < entries.length && entries[end]!.path === path) end++;
    paths.push(path);
    if (end === at + 1) claims.push(entries[at]!);
    else claims.push(oneOrMany(entries.slice(at, end).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))!);
    at = end;
  }
  return { paths, claims };
}

/** Whether a change of `changes` paths and entries among `size` is worth deriving from scratch instead. */
function isBulk(changes: number, size: number): boolean {
  return changes > 1024 && changes * 4 > size;
}

/** Entries of `next` not in `previous` and the reverse, by identity: unchanged entries keep their objects. */
function diffEntries(
  previous: readonly RegistryEntry[],
  next: readonly RegistryEntry[],
): { added: RegistryEntry[]; removed: RegistryEntry[] } {
  if (previous === next) return { added: [], removed: [] };
  let start = 0;
  while (start < previous.length && start < next.length && previous[start] === next[start]) start++;
  let endBefore = previous.length;
  let endAfter = next.length;
  while (endBefore > start && endAfter > start && previous[endBefore - 1] === next[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const before = previous.slice(start, endBefore);
  const after = next.slice(start, endAfter);
  const kept = new Set(before);
  const still = new Set(after);
  return { added: after.filter((entry) => !kept.has(entry)), removed: before.filter((entry) => !still.has(entry)) };
}

function keyed(items: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  return new Map(items.map((item, index) => [String(index).padStart(6, '0'), [item]]));
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a === b || (a.length === b.length && a.every((item, index) => item === b[index]));
}
