import { type ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type {
  AssetView,
  DivergenceEntry,
  PackBuildInfo,
  Snapshot,
  SnapshotSummary,
  UntrackedFile,
} from '../contract/snapshot-schema.js';
import type { DigestCache } from '../digest/digest-cache.js';
import { kindClassifier } from '../config/classify-kind.js';
import type { RegistryLoad } from '../registry/registry-store.js';
import type { FileStat } from '../scan/scanner.js';
import { leftBehindSidecars, sidecarRules } from '../scan/sidecar-rules.js';
import { DiagnosticBook, SECTIONS, severityOf, type BookEdit, type Section } from './diagnostic-book.js';
import type { DerivedIndexes } from './derived-indexes.js';
import {
  findOutsideMoves,
  type FingerprintLookup,
  type OutsideMoves,
  type UntrackedCandidates,
} from './find-outside-moves.js';
import { PersistentMap } from './persistent-map.js';
import type { SnapshotState } from './snapshot-state.js';
import * as found from './snapshot-findings.js';

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
  registeredTouched: [string, FileStat][];
}

const NO_MOVES: OutsideMoves = Object.freeze({
  moved: new Map(),
  ambiguous: [],
  ambiguousAssets: new Map(),
  ambiguousFiles: new Map(),
});
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
const SEVERITY_RANK = { info: 0, warning: 1, blocker: 2 } as const;

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
  const { config, registry, files, previous } = input;
  const registryOk = registry.state === 'ok';
  const incremental =
    previous !== undefined &&
    input.changedPaths !== undefined &&
    previous.config === config &&
    registryOk &&
    previous.derived.registryOk;
  const prior = incremental ? previous.derived : EMPTY;
  const entries = registryOk ? registry.entries : [];
  const { added, removed } = incremental
    ? diffEntries(previous.entries, entries)
    : { added: entries, removed: [] as RegistryEntry[] };
  const sidecars = sidecarRules(config);
  const classify = kindClassifier(config);
  const book = prior.book.edit();
  const build = new Derivation(input, prior, book, incremental ? previous : undefined);

  // 1. The registry: entries by id and the claims on each path.
  const touched = new Set<string>(incremental ? input.changedPaths : []);
  const claimEdits = new Map<string, RegistryEntry[]>();
  const claimList = (path: string): RegistryEntry[] => {
    let list = claimEdits.get(path);
    if (!list) claimEdits.set(path, (list = [...(prior.claims.get(path) ?? [])]));
    return list;
  };
  const entryChanges = new Map<string, RegistryEntry | undefined>();
  for (const entry of removed) {
    entryChanges.set(entry.id, undefined);
    const list = claimList(entry.path);
    list.splice(list.indexOf(entry), 1);
    book.set(SECTIONS.entry, missingKey(entry), undefined);
    build.missingChanges.set(missingKey(entry), undefined);
    build.viewChanges.set(entry.id, undefined);
    if (incremental) touched.add(entry.path);
  }
  for (const entry of added) {
    entryChanges.set(entry.id, entry);
    claimList(entry.path).push(entry);
    book.set(SECTIONS.entry, missingKey(entry), found.entryDiagnostics(entry, config));
    if (incremental) touched.add(entry.path);
  }
  build.entryById = prior.entryById.with(entryChanges);
  const claimChanges = new Map<string, readonly RegistryEntry[] | undefined>();
  for (const [path, list] of claimEdits) {
    if (list.length > 1) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    claimChanges.set(path, list.length > 0 ? Object.freeze(list) : undefined);
  }
  build.claims = prior.claims.with(claimChanges);

  // 2. Each touched path, and the sidecars whose owner it is.
  if (sidecars && incremental)
    for (const path of [...touched]) for (const sidecar of sidecars.pathsOf(path)) touched.add(sidecar);
  if (incremental) {
    for (const path of [...touched].sort())
      build.observePath(path, files.get(path), build.claims.get(path), registryOk, sidecars, classify);
  } else {
    // From scratch: walk the observed files and the claimed paths together, both in path order, no lookups.
    const claimed = [...build.claims.keys()];
    let next = 0;
    for (const [path, stat] of files) {
      for (; next < claimed.length && claimed[next]! < path; next++) {
        build.observePath(claimed[next]!, undefined, claimChanges.get(claimed[next]!), registryOk, sidecars, classify);
      }
      const claims = next < claimed.length && claimed[next] === path ? claimChanges.get(claimed[next++]!) : undefined;
      build.observePath(path, stat, claims, registryOk, sidecars, classify);
    }
    for (; next < claimed.length; next++)
      build.observePath(claimed[next]!, undefined, claimChanges.get(claimed[next]!), registryOk, sidecars, classify);
  }
  build.settlePathIndexes();

  // 3. Groups: case collisions of the touched lower-case forms; then the (small) global parts.
  for (const lower of build.touchedLower) {
    const group = [...(build.lowerRegistered.get(lower) ?? []), ...(build.lowerUntracked.get(lower) ?? [])];
    book.set(SECTIONS.caseCollision, lower, group.length > 1 ? [found.caseCollision(group)] : undefined);
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
  const committed = book.commit();
  build.settleViews(committed, book.dirtyAssets);
  return build.finish(committed, entries, registryOk);
}

/** The mutable working set of one derivation; `finish` freezes it into a state. */
class Derivation {
  /** New asset views by id (undefined: the asset is gone), and by path. */
  readonly viewChanges = new Map<string, AssetView | undefined>();
  private readonly byPathChanges = new Map<string, AssetView | undefined>();
  readonly missingChanges = new Map<string, RegistryEntry | undefined>();
  readonly touchedLower = new Set<string>();
  entryById: PersistentMap<RegistryEntry>;
  claims: PersistentMap<readonly RegistryEntry[]>;
  lowerRegistered: PersistentMap<readonly string[]>;
  lowerUntracked: PersistentMap<readonly string[]>;
  private untracked: PersistentMap<UntrackedFile>;
  private untrackedBySize: PersistentMap<readonly string[]>;
  private missing: PersistentMap<RegistryEntry>;
  private orphans: PersistentMap<readonly string[]>;
  private views: PersistentMap<AssetView>;
  private viewsByPath: PersistentMap<AssetView>;
  private moves: OutsideMoves = NO_MOVES;
  private moveTargets: ReadonlySet<string> = new Set();
  private counts: { byKind: Record<string, number>; present: number; missing: number; totalBytes: number };
  private readonly untrackedChanges = new Map<string, UntrackedFile | undefined>();
  private readonly orphanChanges = new Map<string, readonly string[] | undefined>();
  private readonly lists = {
    size: new Map<string, string[]>(),
    lowerRegistered: new Map<string, string[]>(),
    lowerUntracked: new Map<string, string[]>(),
  };
  readonly unhashed: [string, FileStat][] = [];
  readonly registeredTouched: [string, FileStat][] = [];

  constructor(
    private readonly input: SnapshotInput,
    private readonly prior: DerivedIndexes,
    private readonly book: BookEdit,
    private readonly previous: SnapshotState | undefined,
  ) {
    this.entryById = prior.entryById;
    this.claims = prior.claims;
    this.lowerRegistered = prior.lowerRegistered;
    this.lowerUntracked = prior.lowerUntracked;
    this.untracked = prior.untracked;
    this.untrackedBySize = prior.untrackedBySize;
    this.missing = prior.missing;
    this.orphans = prior.orphans;
    this.views = prior.views;
    this.viewsByPath = prior.viewsByPath;
    this.counts = { ...prior.counts, byKind: { ...prior.counts.byKind } };
  }

  /** Derives again what depends on one path: untracked or sidecar status, names, claims, missing entries. */
  observePath(
    path: string,
    stat: FileStat | undefined,
    claims: readonly RegistryEntry[] | undefined,
    registryOk: boolean,
    sidecars: ReturnType<typeof sidecarRules>,
    classify: (path: string) => string,
  ): void {
    const { files, digests, config } = this.input;
    const lower = path.toLowerCase();
    this.book.set(
      SECTIONS.unsupported,
      path,
      stat?.unsupported ? [found.unsupportedName(path, stat.unsupported)] : undefined,
    );

    let untracked: UntrackedFile | undefined;
    let orphanOwners: readonly string[] | undefined;
    let sidecarOf: string | undefined;
    if (registryOk && stat && !stat.unsupported) {
      const owners = sidecars ? sidecars.ownersOf(path) : [];
      if (owners.length > 0) {
        // Sidecars follow their asset and are never untracked; those whose owner is gone are orphans.
        const owner = owners.find(
          (candidate) =>
            stat.sidecarOfFolder === candidate ||
            (files.get(candidate) !== undefined && !files.get(candidate)!.unsupported),
        );
        if (owner === undefined && !claims) orphanOwners = owners;
        else if (owner !== undefined && claims) sidecarOf = owner;
      } else if (!claims) {
        const digest = digests.get(path, stat);
        // A kind depends on the config, so untracked views are shared only while the config is the same object.
        const kept = (
          this.previous ?? (this.input.previous?.config === config ? this.input.previous : undefined)
        )?.derived.untracked.get(path);
        const seen = kept?.observation;
        untracked =
          kept && seen && seen.size === stat.size && seen.mtimeMs === stat.mtimeMs && seen.digest === digest
            ? kept
            : Object.freeze({ path, kind: classify(path), observation: Object.freeze(observationOf(stat, digest)) });
      }
    }
    this.book.set(
      SECTIONS.sidecarRegistered,
      path,
      sidecarOf !== undefined && claims ? [found.registeredSidecar(path, sidecarOf, claims[0]!.id)] : undefined,
    );
    if (this.orphans.get(path) !== orphanOwners) this.orphanChanges.set(path, orphanOwners);

    const before = this.untracked.get(path);
    if (before !== untracked) {
      this.untrackedChanges.set(path, untracked);
      if (before) this.listEdit('size', sizeKey(before.observation.size), path, false);
      if (untracked) this.listEdit('size', sizeKey(untracked.observation.size), path, true);
      if (!before !== !untracked) {
        this.listEdit('lowerUntracked', lower, path, !!untracked);
        this.touchedLower.add(lower);
      }
    }
    const wasRegistered = this.lowerRegistered.get(lower)?.includes(path) ?? false;
    if (wasRegistered !== !!claims) {
      this.listEdit('lowerRegistered', lower, path, !!claims);
      this.touchedLower.add(lower);
    }
    this.book.set(
      SECTIONS.duplicate,
      path,
      claims && claims.length > 1 ? [found.duplicatePath(path, claims)] : undefined,
    );
    let last: AssetView | undefined;
    for (const entry of claims ?? []) {
      if (!stat) this.missingChanges.set(missingKey(entry), entry);
      else if (this.prior.missing.size > 0) this.missingChanges.set(missingKey(entry), undefined);
      if (stat) this.registeredTouched.push([path, stat]);
      const digest = stat ? digests.get(path, stat) : undefined;
      if (stat && !digest) this.unhashed.push([path, stat]);
      // The badge as it was; `settleViews` corrects it for the assets whose findings changed.
      const severity = worstOf(this.prior.book.byAsset.get(entry.id));
      const before = this.views.get(entry.id);
      last =
        before && sameView(before, entry, stat, digest, severity) ? before : newView(entry, stat, digest, severity);
      this.viewChanges.set(entry.id, last);
    }
    this.byPathChanges.set(path, last);
  }

  /** Applies the per-path edits to the persistent indexes. */
  settlePathIndexes(): void {
    this.untracked = this.untracked.with(this.untrackedChanges);
    this.orphans = this.orphans.with(this.orphanChanges);
    this.missing = this.missing.with(this.missingChanges);
    const frozen = (edits: Map<string, string[]>): [string, readonly string[] | undefined][] =>
      [...edits].map(([key, list]) => [
        key,
        list.length > 0 ? Object.freeze(list.length > 1 ? list.sort() : list) : undefined,
      ]);
    this.untrackedBySize = this.untrackedBySize.with(frozen(this.lists.size));
    this.lowerRegistered = this.lowerRegistered.with(frozen(this.lists.lowerRegistered));
    this.lowerUntracked = this.lowerUntracked.with(frozen(this.lists.lowerUntracked));
  }

  /**
   * Move detection over every missing asset (usually none or a few; an identical file is found through the
   * size buckets, so this does not walk the untracked set), then the findings that follow from it: MOVED_OUTSIDE
   * or MISSING_FILE per missing asset, AMBIGUOUS_MATCH, and the sidecars a move left behind or orphaned.
   */
  settleMoves(sidecars: ReturnType<typeof sidecarRules>): void {
    const { digests, fingerprints, files } = this.input;
    const missing = [...this.missing.values()];
    const untracked = this.untracked;
    const bySize = this.untrackedBySize;
    const candidates: UntrackedCandidates = {
      size: untracked.size,
      ofSize: (size) => (bySize.get(sizeKey(size)) ?? []).map((path) => untracked.get(path)!),
      all: () => untracked.values(),
    };
    this.moves = missing.length > 0 ? findOutsideMoves(missing, candidates, digests, fingerprints) : NO_MOVES;
    this.moveTargets = new Set([...this.moves.moved.values()].map((move) => move.to));
    for (const entry of missing) {
      const known = digests.lastKnown(entry.path);
      if (!known) continue;
      for (const file of candidates.ofSize(known.size))
        if (!file.observation.digest) this.unhashed.push([file.path, files.get(file.path)!]);
    }
    if (missing.length > 0 || this.prior.book.countsOf(SECTIONS.divergence).keys > 0) {
      this.book.replaceSection(
        SECTIONS.divergence,
        new Map(
          missing.map((entry) => [missingKey(entry), [found.missingOrMoved(entry, this.moves.moved.get(entry.id))]]),
        ),
      );
    }
    if (this.moves.ambiguous.length > 0 || this.prior.book.countsOf(SECTIONS.ambiguous).keys > 0) {
      this.book.replaceSection(
        SECTIONS.ambiguous,
        new Map(this.moves.ambiguous.map((item) => [item.assetId!, [item]])),
      );
    }
    if (
      !sidecars ||
      (this.orphans.size === 0 &&
        this.prior.book.countsOf(SECTIONS.orphan).keys + this.prior.book.countsOf(SECTIONS.leftBehind).keys === 0)
    )
      return;
    const orphans = new Map(this.orphans);
    const leftBehind = new Map<string, Diagnostic[]>();
    for (const entry of missing) {
      const move = this.moves.moved.get(entry.id);
      if (!move) continue;
      for (const left of leftBehindSidecars(sidecars, files, entry.path, move.to)) {
        if (orphans.delete(left.from)) leftBehind.set(left.from, [found.leftBehind(entry, move.to, left)]);
      }
    }
    const orphaned = new Map<string, Diagnostic[]>();
    for (const [path, owners] of orphans) {
      // A sidecar of a folder that holds files is no orphan (the scan notes empty folders itself).
      if (owners.some((owner) => files.hasUnder(owner))) continue;
      orphaned.set(path, [found.orphanSidecar(path, owners[0]!, this.claims.get(owners[0]!)?.[0])]);
    }
    this.book.replaceSection(SECTIONS.leftBehind, leftBehind);
    this.book.replaceSection(SECTIONS.orphan, orphaned);
  }

  /** Corrects the badges of the assets whose findings changed, then applies the new views and their counts. */
  settleViews(book: DiagnosticBook, dirtyAssets: ReadonlySet<string>): void {
    for (const id of dirtyAssets) {
      const view = this.viewChanges.has(id) ? this.viewChanges.get(id) : this.views.get(id);
      const severity = worstOf(book.byAsset.get(id));
      if (!view || view.worstSeverity === severity) continue;
      const { worstSeverity: _old, ...rest } = view;
      const badged: AssetView = severity ? { ...rest, worstSeverity: severity } : rest;
      this.viewChanges.set(id, Object.freeze(badged));
      const claims = this.claims.get(view.path);
      if (claims?.[claims.length - 1]?.id === id) this.byPathChanges.set(view.path, badged);
    }
    for (const [id, view] of this.viewChanges) {
      const before = this.views.get(id);
      if (before === view) continue;
      this.count(before, -1);
      this.count(view, 1);
    }
    this.views = this.views.with(this.viewChanges);
    this.viewsByPath = this.viewsByPath.with(this.byPathChanges);
  }

  finish(book: DiagnosticBook, entries: readonly RegistryEntry[], registryOk: boolean): SnapshotBuild {
    const { config, registry, revision } = this.input;
    const derived: DerivedIndexes = Object.freeze({
      registryOk,
      extra: this.input.extraDiagnostics,
      escapes: this.input.escapes,
      entryById: this.entryById,
      claims: this.claims,
      views: this.views,
      viewsByPath: this.viewsByPath,
      untracked: this.untracked,
      untrackedBySize: this.untrackedBySize,
      lowerRegistered: this.lowerRegistered,
      lowerUntracked: this.lowerUntracked,
      missing: this.missing,
      orphans: this.orphans,
      book,
      moves: this.moves,
      moveTargets: this.moveTargets,
      counts: Object.freeze({ ...this.counts, byKind: Object.freeze(prune(this.counts.byKind)) }),
    });
    const snapshot = lazySnapshot(derived, {
      revision,
      projectName: config.name,
      registryState: registry.state,
      entries,
      summary: summarize(derived, entries.length),
      lastBuilds: Object.freeze([...this.input.lastBuilds]) as PackBuildInfo[],
    });
    const state: SnapshotState = Object.freeze({
      snapshot,
      config,
      entries,
      byId: this.views,
      byPath: this.viewsByPath,
      untrackedByPath: this.untracked,
      files: this.input.files,
      escapes: this.input.escapes,
      derived,
    });
    return { state, unhashed: this.unhashed, registeredTouched: this.registeredTouched };
  }

  private listEdit(which: keyof Derivation['lists'], key: string, path: string, present: boolean): void {
    const edits = this.lists[which];
    const source =
      which === 'size'
        ? this.prior.untrackedBySize
        : which === 'lowerRegistered'
          ? this.prior.lowerRegistered
          : this.prior.lowerUntracked;
    let list = edits.get(key);
    if (!list) {
      const kept = source.get(key);
      edits.set(key, (list = kept ? [...kept] : []));
    }
    const at = list.indexOf(path);
    if (present && at < 0) list.push(path);
    else if (!present && at >= 0) list.splice(at, 1);
  }

  private count(view: AssetView | undefined, sign: 1 | -1): void {
    if (!view) return;
    this.counts.byKind[view.kind] = (this.counts.byKind[view.kind] ?? 0) + sign;
    if (view.status === 'present') this.counts.present += sign;
    else this.counts.missing += sign;
    this.counts.totalBytes += sign * (view.observation?.size ?? 0);
  }
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

/**
 * The contract-shaped snapshot. Its lists are materialised when first read (then kept): a watcher change does not
 * rebuild a 100,000-item array that no reader may ask for; `summary` is computed with the state.
 */
function lazySnapshot(
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
  const { moved, ambiguousAssets, ambiguousFiles } = derived.moves;
  for (const entry of derived.missing.values()) {
    const move = moved.get(entry.id);
    const ambiguousWith = ambiguousAssets.get(entry.id);
    out.push(
      Object.freeze(
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
      ),
    );
  }
  for (const path of derived.untracked.keys()) {
    if (derived.moveTargets.has(path)) continue;
    const ambiguousWith = ambiguousFiles.get(path);
    out.push(
      Object.freeze({
        type: 'untracked' as const,
        path,
        ...(ambiguousWith ? { ambiguousWith: Object.freeze([...ambiguousWith]) as string[] } : {}),
      }),
    );
  }
  return out;
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
  return out;
}

function untrackedDivergence(derived: DerivedIndexes): number {
  return derived.untracked.size - derived.moveTargets.size;
}

function summarize(derived: DerivedIndexes, assets: number): SnapshotSummary {
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
  });
}

function worstOf(list: readonly Diagnostic[] | undefined): AssetView['worstSeverity'] {
  let worst: Diagnostic['severity'] | undefined;
  for (const item of list ?? [])
    if (!worst || SEVERITY_RANK[item.severity] > SEVERITY_RANK[worst]) worst = item.severity;
  return worst;
}

function newView(
  entry: RegistryEntry,
  stat: FileStat | undefined,
  digest: string | undefined,
  severity: AssetView['worstSeverity'],
): AssetView {
  const view: AssetView = {
    id: entry.id,
    path: entry.path,
    kind: entry.kind,
    settings: entry.settings,
    tags: entry.tags,
    status: stat ? 'present' : 'missing',
  };
  if (stat) view.observation = Object.freeze(observationOf(stat, digest));
  if (severity) view.worstSeverity = severity;
  // Entries read from disk are frozen by the registry reader's line cache; freeze what it did not.
  if (!Object.isFrozen(entry.settings)) Object.freeze(entry.settings);
  if (!Object.isFrozen(entry.tags)) Object.freeze(entry.tags);
  return Object.freeze(view);
}

function sameView(
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

function observationOf(stat: FileStat, digest: string | undefined): NonNullable<AssetView['observation']> {
  return digest ? { size: stat.size, mtimeMs: stat.mtimeMs, digest } : { size: stat.size, mtimeMs: stat.mtimeMs };
}

function missingKey(entry: RegistryEntry): string {
  return `${entry.path}\u0000${entry.id}`;
}

function sizeKey(size: number): string {
  return size.toString(36);
}

function keyed(items: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  return new Map(items.map((item, index) => [String(index).padStart(6, '0'), [item]]));
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a === b || (a.length === b.length && a.every((item, index) => item === b[index]));
}

function prune(byKind: Record<string, number>): Record<string, number> {
  for (const [kind, count] of Object.entries(byKind)) if (count === 0) delete byKind[kind];
  return byKind;
}
