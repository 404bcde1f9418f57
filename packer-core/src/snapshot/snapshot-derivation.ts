import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView, PackBuildInfo, UntrackedFile } from '../contract/snapshot-schema.js';
import type { FileStat } from '../scan/scanner.js';
import { leftBehindSidecars, type sidecarRules } from '../scan/sidecar-rules.js';
import { newView, observationOf, sameView, worstOf } from './asset-view.js';
import type { SnapshotBuild, SnapshotInput } from './build-snapshot.js';
import { SECTIONS, type BookEdit, type DiagnosticBook } from './diagnostic-book.js';
import type { DerivedIndexes } from './derived-indexes.js';
import { findOutsideMoves, type OutsideMoves, type UntrackedCandidates } from './find-outside-moves.js';
import { lazySnapshot, summarize } from './lazy-snapshot.js';
import { listOf, oneOrMany, type OneOrMany } from './one-or-many.js';
import { PersistentMap } from './persistent-map.js';
import type { SnapshotState } from './snapshot-state.js';
import * as found from './snapshot-findings.js';
import { collisionKey, nonPortableFindings } from './portable-names.js';

export const NO_MOVES: OutsideMoves = Object.freeze({
  moved: new Map(),
  ambiguous: [],
  ambiguousAssets: new Map(),
  ambiguousFiles: new Map(),
});

/** The mutable working set of one derivation; `finish` freezes it into a state. */
export class Derivation {
  /** New asset views by id (undefined: the asset is gone), and by path. */
  readonly viewChanges = new Map<string, AssetView | undefined>();
  private readonly byPathChanges = new Map<string, AssetView | undefined>();
  readonly missingChanges = new Map<string, RegistryEntry | undefined>();
  readonly touchedLower = new Set<string>();
  entryById: PersistentMap<RegistryEntry>;
  claims: PersistentMap<OneOrMany<RegistryEntry>>;
  lowerRegistered: PersistentMap<OneOrMany<string>>;
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
  /** Paths of registered files seen present (the snapshot's own strings, no [path, stat] pair per file). */
  readonly registeredTouched: string[] = [];
  /**
   * From scratch, each registered path's lower-case form and the path, in visiting order: grouped in bulk by
   * `settlePathIndexes` (one sort at most), not through a map of 100k one-path lists copied twice.
   */
  private readonly registeredLower: { keys: string[]; paths: string[] } | undefined;

  constructor(
    private readonly input: SnapshotInput,
    private readonly prior: DerivedIndexes,
    private readonly book: BookEdit,
    private readonly previous: SnapshotState | undefined,
    /** True when `prior` holds nothing (a derivation from scratch). */
    fromScratch = false,
  ) {
    this.registeredLower = fromScratch ? { keys: [], paths: [] } : undefined;
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
    // Case and Unicode normalisation folded: paths one macOS or Windows disk cannot hold apart (CASE_COLLISION).
    const lower = collisionKey(path);
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
    if (this.registeredLower) {
      if (claims) {
        this.registeredLower.keys.push(lower);
        this.registeredLower.paths.push(path);
      }
    } else if ((listOf(this.lowerRegistered.get(lower))?.includes(path) ?? false) !== !!claims) {
      this.listEdit('lowerRegistered', lower, path, !!claims);
      this.touchedLower.add(lower);
    }
    this.book.set(
      SECTIONS.duplicate,
      path,
      claims && claims.length > 1 ? [found.duplicatePath(path, claims)] : undefined,
    );
    this.book.set(SECTIONS.nonPortable, path, nonPortableFindings(path, claims, !!untracked));
    let last: AssetView | undefined;
    for (const entry of claims ?? []) {
      if (!stat) this.missingChanges.set(missingKey(entry), entry);
      else if (this.prior.missing.size > 0) this.missingChanges.set(missingKey(entry), undefined);
      if (stat) this.registeredTouched.push(path);
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
    const frozen = (edits: Map<string, string[]>): Map<string, readonly string[] | undefined> => {
      const out = new Map<string, readonly string[] | undefined>();
      for (const [key, list] of edits)
        out.set(key, list.length > 0 ? frozenList(list.length > 1 ? list.sort() : list) : undefined);
      return out;
    };
    this.untrackedBySize = this.untrackedBySize.with(frozen(this.lists.size));
    const packed = (edits: Map<string, string[]>): Map<string, OneOrMany<string> | undefined> => {
      const out = new Map<string, OneOrMany<string> | undefined>();
      for (const [key, list] of edits) out.set(key, oneOrMany(list.length > 1 ? list.sort() : list));
      return out;
    };
    this.lowerRegistered = this.registeredLower
      ? this.groupRegisteredLower(this.registeredLower)
      : this.lowerRegistered.with(packed(this.lists.lowerRegistered));
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
      orphaned.set(path, [found.orphanSidecar(path, owners[0]!, listOf(this.claims.get(owners[0]!))?.[0])]);
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
      const claims = listOf(this.claims.get(view.path));
      if (claims?.[claims.length - 1]?.id === id) this.byPathChanges.set(view.path, badged);
    }
    for (const [id, view] of this.viewChanges) {
      const before = this.views.get(id);
      if (before === view) continue;
      this.count(before, -1);
      this.count(view, 1);
    }
    this.views = this.viewsInIdOrder() ?? this.views.with(this.viewChanges);
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
      // Unreadable, the registry registers nothing the snapshot knows of: its counts are unknown, not zero.
      summary: summarize(
        derived,
        entries.length,
        registry.state === 'read-only' ? { reason: registry.error.message } : undefined,
      ),
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

  /**
   * From scratch, a view for every entry: chunked in the id order `entryById` already sorted, not sorted again
   * (100k ids). Undefined otherwise (the general path then builds the map).
   */
  private viewsInIdOrder(): PersistentMap<AssetView> | undefined {
    if (!this.registeredLower || this.views.size > 0 || this.viewChanges.size === 0) return undefined;
    if (this.entryById.size !== this.viewChanges.size) return undefined;
    const ids = this.entryById.keyList();
    const views = new Array<AssetView>(ids.length);
    for (let index = 0; index < ids.length; index++) {
      const view = this.viewChanges.get(ids[index]!);
      if (view === undefined) return undefined;
      views[index] = view;
    }
    return PersistentMap.fromSortedColumns(ids, views);
  }

  /**
   * The lower-case index of registered paths, built from scratch: (lower, path) pairs sorted (usually already in
   * order: paths were visited sorted) and grouped. Only a lower-case form shared by two paths is marked touched: a
   * lone one can be no case collision.
   */
  private groupRegisteredLower({ keys, paths }: { keys: string[]; paths: string[] }): PersistentMap<OneOrMany<string>> {
    let order: number[] | undefined;
    for (let index = 1; index < keys.length; index++) {
      if (keys[index - 1]! < keys[index]!) continue;
      order = keys.map((_, at) => at);
      order.sort((a, b) =>
        keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0,
      );
      break;
    }
    const groupKeys: string[] = [];
    const groups: OneOrMany<string>[] = [];
    for (let at = 0; at < keys.length;) {
      const first = order ? order[at]! : at;
      const key = keys[first]!;
      let end = at + 1;
      while (end < keys.length && keys[order ? order[end]! : end] === key) end++;
      const group: string[] = [];
      for (let item = at; item < end; item++) group.push(paths[order ? order[item]! : item]!);
      groupKeys.push(key);
      groups.push(oneOrMany(group)!);
      if (group.length > 1) this.touchedLower.add(key);
      at = end;
    }
    return this.lowerRegistered.size === 0
      ? PersistentMap.fromSortedColumns(groupKeys, groups)
      : this.lowerRegistered.with(groupKeys.map((key, index) => [key, groups[index]!] as const));
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
      const kept = listOf<string>(source.get(key));
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

/**
 * A frozen copy of `list` sized to its items. A list grown by `push` keeps room for 17: at 100k registered paths the
 * one-path lists of claims and lower-case groups held ~30 MB of empty slots.
 */
export function frozenList<T>(list: readonly T[]): readonly T[] {
  return Object.freeze(list.length === 1 ? [list[0]!] : list.slice());
}

export function missingKey(entry: RegistryEntry): string {
  return `${entry.path}\u0000${entry.id}`;
}

export function sizeKey(size: number): string {
  return size.toString(36);
}

function prune(byKind: Record<string, number>): Record<string, number> {
  for (const [kind, count] of Object.entries(byKind)) if (count === 0) delete byKind[kind];
  return byKind;
}
