import { existsSync } from 'node:fs';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { PackerError } from '../contract/errors.js';
import type { StorageWarning } from '../contract/methods.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import { DigestCache, type StoredRows } from '../digest/digest-cache.js';
import type { RegistryLoad } from '../registry/registry-store.js';
import { missingRoots } from '../scan/missing-roots.js';
import {
  rescanChanges,
  scanWorkspace,
  scanWorkspaceInSlices,
  walkInputs,
  type FileStat,
  type ScanResult,
} from '../scan/scanner.js';
import { appendAll } from '../snapshot/append-all.js';
import { sameItems } from '../snapshot/same-items.js';
import { deriveSnapshot, deriveSnapshotSteps, type SnapshotBuild } from '../snapshot/build-snapshot.js';
import { PersistentMap } from '../snapshot/persistent-map.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { assetRootMissing } from '../snapshot/snapshot-findings.js';
import { FingerprintStore } from '../snapshot/fingerprint-store.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { RevisionCounter } from './revision-counter.js';
import { runSteps, runStepsInSlices, SliceClock, turnEventLoop } from './turn-event-loop.js';

/**
 * Keeps the disk observation (files, digests) and derives each new snapshot from (registry, observation).
 * Callers serialise access (the workspace's queue); every publish is a new immutable state object.
 */
export class WorkspaceObserver {
  private current!: SnapshotState;
  private registry!: RegistryLoad;
  private scan: { files: PersistentMap<FileStat>; escapes: readonly string[] } = {
    files: PersistentMap.empty(),
    escapes: [],
  };
  /** Paths whose observation changed since the published state (undefined: derive everything). */
  private changed: Set<string> | undefined;
  private readonly digests: DigestCache;
  private readonly fingerprints: FingerprintStore;
  private readonly revisions: RevisionCounter;
  private lastBuilds: readonly PackBuildInfo[] = [];
  private recoveryDiagnostics: readonly Diagnostic[] = [];
  private packDiagnostics: readonly Diagnostic[] = [];
  private configProblem: Diagnostic | undefined;
  /** ASSET_ROOT_MISSING of each asset root not on disk, as last looked at (kept as one array while unchanged). */
  private rootProblems: readonly Diagnostic[] = [];
  private rootsSeen: readonly string[] = [];
  private saveTimer: NodeJS.Timeout | undefined;
  /**
   * Digests found during one publish, by the stat object they were found for: a from-scratch publish asks for every
   * registered file's digest before deriving and again while deriving (two store reads and row decodes each).
   */
  private found: Map<FileStat, string> | undefined;
  /** The registered files' digest rows, read while the open waited for the watcher (see `prepare`). */
  private readAhead: { entries: readonly RegistryEntry[]; rows: StoredRows } | undefined;
  /** True while the open publishes its first state: its derivations run in slices (see deriveForPublish). */
  private opening = false;

  constructor(
    private readonly root: string,
    stateDir: string,
    private config: ProjectConfig,
  ) {
    this.digests = new DigestCache(stateDir);
    this.fingerprints = new FingerprintStore(stateDir, root);
    this.revisions = new RevisionCounter(stateDir);
  }

  get state(): SnapshotState {
    return this.current;
  }

  /**
   * What the open can do before the disk is scanned, while a daemon's watcher still crawls (~150 ms at 100k files):
   * read the registered files' digest rows (~140 ms of point reads), to be matched with the scan's stats in the first
   * publish. It reads `.packer/` only, never an asset folder, so the scan still reads each folder after it is watched.
   */
  prepare(registry: RegistryLoad): void {
    if (registry.state !== 'ok') return;
    this.readAhead = {
      entries: registry.entries,
      rows: this.digests.readRows(registry.entries.map((entry) => entry.path)),
    };
  }

  async initialize(registry: RegistryLoad, recoveryDiagnostics: readonly Diagnostic[]): Promise<void> {
    this.registry = registry;
    this.recoveryDiagnostics = recoveryDiagnostics;
    this.scan = await fullScanInSlices(this.root, this.config);
    this.checkRoots();
    this.changed = undefined;
    // The event loop turns between the scan and the first snapshot (hello and health, while a daemon opens).
    await turnEventLoop();
    this.opening = true;
    try {
      await this.publish(this.revisions.next());
    } finally {
      this.opening = false;
      this.readAhead = undefined;
    }
    await turnEventLoop();
    const state = this.current;
    const registered = (relative: string): boolean => state.derived.claims.has(relative);
    // How many paths are kept: the store is walked for stale rows only when it holds more than that.
    const live = this.scan.files.size + state.snapshot.summary.missing;
    this.digests.prune((relative) => registered(relative) || this.scan.files.has(relative), live);
    this.fingerprints.prune(registered, state.derived.claims.size);
    await this.digests.saveInSlices();
  }

  async refresh(
    paths: readonly string[] | undefined,
    _cause: string,
  ): Promise<{ changed: boolean; state: SnapshotState }> {
    let changes: Map<string, FileStat | undefined>;
    let escapes: readonly string[];
    if (paths === undefined) {
      const next = await fullScanInSlices(this.root, this.config);
      changes = diffFiles(this.scan.files, next.files);
      escapes = next.escapes;
    } else {
      // A folder is rescanned whole: the paths under it named too (a 100,000-file add names each) add nothing.
      const covering = outermost(paths);
      const next = rescanChanges(this.root, this.config, this.scan.files, covering);
      changes = realChanges(this.scan.files, next.changes);
      escapes = mergeEscapes(this.scan.escapes, next.escapes, covering);
    }
    // An asset root created or deleted empty changes no file, only whether ASSET_ROOT_MISSING holds.
    const rootsChanged = this.checkRoots();
    if (!rootsChanged && changes.size === 0 && sameItems([...this.scan.escapes].sort(), [...escapes].sort())) {
      return { changed: false, state: this.current };
    }
    this.observe(changes, escapes);
    await this.publish(this.revisions.next());
    return { changed: true, state: this.current };
  }

  async reloadRegistry(registry: RegistryLoad): Promise<{ changed: boolean; state: SnapshotState }> {
    const unchanged =
      registry.state === this.registry.state &&
      (registry.state === 'ok' ? registry.text : null) === (this.registry.state === 'ok' ? this.registry.text : null);
    if (unchanged && registry.state === 'ok') return { changed: false, state: this.current };
    this.registry = registry;
    await this.publish(this.revisions.next());
    return { changed: true, state: this.current };
  }

  /** Publishes the state after a commit, at exactly the revision the apply promised. */
  async publishCommit(registry: RegistryLoad, changedPaths: readonly string[], revision: number): Promise<void> {
    this.registry = registry;
    if (changedPaths.length > 0) {
      const next = rescanChanges(this.root, this.config, this.scan.files, changedPaths);
      this.observe(
        realChanges(this.scan.files, next.changes),
        mergeEscapes(this.scan.escapes, next.escapes, changedPaths),
      );
    }
    this.checkRoots();
    const assigned = this.revisions.next();
    if (assigned !== revision) throw new Error(`revision drift: promised ${revision}, assigned ${assigned}`);
    await this.publish(assigned);
  }

  /**
   * The state a from-scratch derivation gives now: a full scan, every path derived anew, the same digest cache.
   * Nothing is published; tests compare it with the incrementally maintained state.
   */
  deriveFromScratch(): SnapshotState {
    const scan = fullScan(this.root, this.config);
    const extra = this.extraDiagnostics();
    return deriveSnapshot({
      revision: this.current.snapshot.revision,
      config: this.config,
      registry: this.registry,
      files: scan.files,
      escapes: scan.escapes,
      digests: this.digests,
      fingerprints: this.fingerprints,
      lastBuilds: this.lastBuilds,
      extraDiagnostics: extra,
    }).state;
  }

  peekNextRevision(): number {
    return this.revisions.current + 1;
  }

  /**
   * Puts a new config in force and publishes. The asset roots are walked again unless `scanIsCurrent` (a watcher
   * keeps the scan up to date) and the new config walks what the old one did (see walkInputs): a pack rule or
   * `registry.shards` changed at 1M files took over 30 s of walking before its reload was seen. (What no watcher
   * reports, e.g. `.git/info/exclude` under `gitignore: true`, is not picked up by such a reload either: a rescan is.)
   */
  async setConfig(config: ProjectConfig, options: { scanIsCurrent?: boolean } = {}): Promise<SnapshotState> {
    const walk = !options.scanIsCurrent || walkInputs(config) !== walkInputs(this.config);
    this.config = config;
    this.configProblem = undefined;
    if (walk) this.scan = await fullScanInSlices(this.root, config);
    this.checkRoots();
    this.changed = undefined;
    await this.publish(this.revisions.next());
    return this.current;
  }

  async setConfigProblem(error: PackerError): Promise<void> {
    this.configProblem = diagnostic(
      'INVALID_CONFIG',
      // The parser's own text ("… at position 16") has no full stop: end its sentence before adding ours.
      `${error.message.trimEnd().replace(/(?<![.!?])$/, '.')} The last valid configuration stays in force.`,
      { path: 'packer.json' },
      String(error.data.hint ?? 'Fix packer.json.'),
    );
    this.publishNow(this.revisions.next());
  }

  /** Replaces the diagnostics that crash recovery left (e.g. an invalid journal that was removed) and publishes. */
  setRecoveryDiagnostics(diagnostics: readonly Diagnostic[]): SnapshotState {
    this.recoveryDiagnostics = diagnostics;
    this.publishNow(this.revisions.next());
    return this.current;
  }

  /** `packDiagnostics` (PACK_UNVERIFIED findings) replace the previous ones when given. */
  async setLastBuilds(
    builds: readonly PackBuildInfo[],
    packDiagnostics?: readonly Diagnostic[],
  ): Promise<SnapshotState> {
    this.lastBuilds = builds;
    if (packDiagnostics) this.packDiagnostics = packDiagnostics;
    this.publishNow(this.revisions.next());
    return this.current;
  }

  async digestOf(relative: string): Promise<string | undefined> {
    const stat = this.scan.files.get(relative);
    if (!stat) return undefined;
    await this.digests.ensure(this.root, [[relative, stat]]);
    return this.digests.get(relative, stat);
  }

  save(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.digests.save();
    this.fingerprints.save();
  }

  /** Why `.packer/revision` lags behind the current revision (a full disk, say); `flushRevision` retries. */
  get revisionWriteProblem(): StorageWarning | undefined {
    return this.revisions.writeProblem;
  }

  flushRevision(): void {
    this.revisions.flush();
  }

  /** Saves and releases the digest cache. */
  async close(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.digests.close();
    await this.fingerprints.close();
  }

  /** Why the digest cache could not be saved (a full disk, say), until a save goes through. */
  get digestWriteProblem(): StorageWarning | undefined {
    return this.digests.writeProblem;
  }

  /**
   * The digest cache is rewritten at most once a second, not on every change: at 100k files it is ~15 MB of
   * JSON, and it is only a cache (a lost update costs one re-hash after a crash). `save()` on close flushes.
   */
  private scheduleSave(): void {
    // A deferred save must not resurrect a project folder that was deleted meanwhile (the atomic write creates
    // missing folders): with the project gone there is nothing to cache for.
    // The digest rows are written in slices: a cold 1M open has 1M of them (~4 s of writing).
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      if (!existsSync(this.root)) return;
      void this.digests.saveInSlices();
      this.fingerprints.save();
    }, 1000);
    this.saveTimer.unref?.();
  }

  /** Diagnostics from outside the scan: crash recovery, packs, an invalid config, missing asset roots. */
  private extraDiagnostics(): Diagnostic[] {
    return [
      ...this.recoveryDiagnostics,
      ...this.packDiagnostics,
      ...(this.configProblem ? [this.configProblem] : []),
      ...this.rootProblems,
    ];
  }

  /** Looks at the asset roots again; true when the set of missing ones changed (their diagnostics are replaced). */
  private checkRoots(): boolean {
    const missing = missingRoots(this.root, this.config);
    const seen = missing.map((item) => `${item.reason}:${item.root}`);
    if (sameItems(this.rootsSeen, seen)) return false;
    this.rootsSeen = seen;
    this.rootProblems = missing.map(assetRootMissing);
    return true;
  }

  /** Takes a rescan's changes into the observation; the next publish derives only what they touch. */
  private observe(changes: ReadonlyMap<string, FileStat | undefined>, escapes: readonly string[]): void {
    this.scan = { files: this.scan.files.with(changes), escapes };
    if (this.changed) for (const relative of changes.keys()) this.changed.add(relative);
  }

  /**
   * Derives the next state from what changed, hashes what it would show a digest for (registered files, and
   * untracked files the size of a missing asset: how an outside move is recognised, whatever order the watcher
   * reported its halves in), then derives once more for the files just hashed. Digests are cache hits for every
   * file whose stat did not change, so a warm open or a one-file change hashes nothing or one file.
   */
  private async publish(revision: number): Promise<void> {
    // Registered files known to need a digest are hashed before deriving: a 100,000-file add then derives once,
    // not once without digests and again with them (two 100k-view states alive at once while hashing).
    this.found = new Map();
    try {
      await this.publishFound(revision);
    } finally {
      this.found = undefined;
    }
  }

  private async publishFound(revision: number): Promise<void> {
    const due = await this.registeredUnhashed();
    if (due.length > 0 && (await this.digests.ensure(this.root, due)) > 0) this.scheduleSave();
    let build = await this.deriveForPublish(revision, this.changed);
    const registeredTouched = build.registeredTouched;
    const unhashed = build.unhashed.filter(([relative, stat]) => this.digests.get(relative, stat) === undefined);
    if (unhashed.length > 0) {
      if ((await this.digests.ensure(this.root, unhashed)) > 0) this.scheduleSave();
      this.current = build.state;
      build = await this.deriveForPublish(revision, new Set(unhashed.map(([relative]) => relative)));
      appendAll(registeredTouched, build.registeredTouched); // a million after a 1M add: no spread
    }
    this.current = build.state;
    this.changed = new Set();
    // What a registered file holds now is what a rename-and-edit outside the packer is later compared with.
    const registered = this.current.derived.claims;
    // The digests the state shows: a lookup in memory, where the digest cache would decode a stored row again.
    const views = this.current.byPath;
    this.fingerprints.ensure(
      registeredTouched,
      (relative) => views.get(relative)?.observation,
      (relative) => registered.has(relative),
    );
  }

  /**
   * Observed files the next derivation will show as registered and without a cached digest: those of the entries
   * added since the published state and of the changed paths (every entry's when everything is derived again).
   * Entries that are only candidates (an untracked file the size of a missing asset) are left to `publish`.
   */
  private async registeredUnhashed(): Promise<[string, FileStat][]> {
    const entries = this.registry.state === 'ok' ? this.registry.entries : [];
    // Every entry at an open or after a bulk change (1M at 1M files: ~3 s): the event loop turns now and then.
    const clock = new SliceClock();
    const files = this.scan.files;
    const due = new Map<string, FileStat>();
    const consider = (relative: string): void => {
      const stat = files.get(relative);
      if (stat && !due.has(relative) && this.digestOfStat(relative, stat) === undefined) due.set(relative, stat);
    };
    const previous = this.current as SnapshotState | undefined;
    const ahead = this.readAhead;
    if (ahead && ahead.entries === entries && this.digests.stillAsRead(ahead.rows) && this.found) {
      // The rows read ahead for these very entries, by position; a row whose stat differs is asked for again.
      for (let index = 0; index < entries.length; index++) {
        if ((index & 1023) === 1023) await clock.pause();
        const relative = entries[index]!.path;
        const stat = files.get(relative);
        if (!stat) continue;
        const digest = ahead.rows.get(index, stat);
        if (digest !== undefined) this.found.set(stat, digest);
        else if (!due.has(relative) && this.digestOfStat(relative, stat) === undefined) due.set(relative, stat);
      }
    } else if (!previous || this.changed === undefined) {
      for (let index = 0; index < entries.length; index++) {
        if ((index & 1023) === 1023) await clock.pause();
        consider(entries[index]!.path);
      }
    } else {
      for (const entry of addedEntries(previous.entries, entries)) consider(entry.path);
      for (const relative of this.changed) if (previous.derived.claims.has(relative)) consider(relative);
    }
    return [...due];
  }

  /** The cached digest of a file as observed; a hit is remembered for the rest of the publish (never a miss). */
  private digestOfStat(relative: string, stat: FileStat): string | undefined {
    const known = this.found?.get(stat);
    if (known !== undefined) return known;
    const digest = this.digests.get(relative, stat);
    if (digest !== undefined) this.found?.set(stat, digest);
    return digest;
  }

  /** A publish that changes no observation (diagnostics, last builds): never waits for hashing. */
  private publishNow(revision: number): void {
    this.current = this.derive(revision, this.changed).state;
    this.changed = new Set();
  }

  private derive(revision: number, changedPaths: Iterable<string> | undefined): SnapshotBuild {
    return runSteps(this.deriveSteps(revision, changedPaths));
  }

  /**
   * The derivation of a publish: in slices during the open (nothing else publishes then; a 1M-file project derives
   * in ~9 s, and a daemon answers hello meanwhile), at once otherwise (a publish from outside the lane, such as
   * publishNow, must not interleave with it).
   */
  private deriveForPublish(revision: number, changedPaths: Iterable<string> | undefined): Promise<SnapshotBuild> {
    const steps = this.deriveSteps(revision, changedPaths);
    return this.opening ? runStepsInSlices(steps) : Promise.resolve(runSteps(steps));
  }

  private deriveSteps(
    revision: number,
    changedPaths: Iterable<string> | undefined,
  ): Generator<void, SnapshotBuild, void> {
    const extra = this.extraDiagnostics();
    return deriveSnapshotSteps({
      revision,
      config: this.config,
      registry: this.registry,
      files: this.scan.files,
      escapes: this.scan.escapes,
      digests: this.found
        ? {
            get: (relative, stat) => this.digestOfStat(relative, stat),
            lastKnown: (relative) => this.digests.lastKnown(relative),
          }
        : this.digests,
      fingerprints: this.fingerprints,
      lastBuilds: this.lastBuilds,
      extraDiagnostics: extra,
      previous: this.current,
      changedPaths,
    });
  }
}

/** Entries of `next` that `previous` does not hold (by identity: an unchanged entry keeps its object). */
function addedEntries(previous: readonly RegistryEntry[], next: readonly RegistryEntry[]): readonly RegistryEntry[] {
  if (previous === next) return [];
  let start = 0;
  while (start < previous.length && start < next.length && previous[start] === next[start]) start++;
  if (start === previous.length) return next.slice(start);
  // And the common tail: a one-asset commit replaces one entry, so only the middle (one entry) is compared by set, not
  // a Set of 100,000 entries per commit (~40 ms of the in-lane apply at 100k). An entry object sits in one place only.
  let end = 0;
  while (
    end < previous.length - start &&
    end < next.length - start &&
    previous[previous.length - 1 - end] === next[next.length - 1 - end]
  )
    end++;
  const kept = new Set(previous.slice(start, previous.length - end));
  return next.slice(start, next.length - end).filter((entry) => !kept.has(entry));
}

type FullScan = { files: PersistentMap<FileStat>; escapes: string[] };

function fullScan(root: string, config: ProjectConfig): FullScan {
  return asFullScan(scanWorkspace(root, config));
}

/** A full scan that lets the event loop turn while it walks (see scanWorkspaceInSlices). */
async function fullScanInSlices(root: string, config: ProjectConfig): Promise<FullScan> {
  return asFullScan(await scanWorkspaceInSlices(root, config));
}

function asFullScan(scanned: ScanResult): FullScan {
  // fromMap: the keys sorted alone, no array of 100k [path, stat] pairs and second Map on the way.
  return { files: PersistentMap.fromMap(scanned.files), escapes: scanned.escapes };
}

/** The paths whose stat differs between two full observations (both in path order: one merge pass). */
function diffFiles(before: PersistentMap<FileStat>, after: PersistentMap<FileStat>): Map<string, FileStat | undefined> {
  const changes = new Map<string, FileStat | undefined>();
  for (const [relative, stat] of after) if (!sameStat(before.get(relative), stat)) changes.set(relative, stat);
  for (const relative of before.keys()) if (!after.has(relative)) changes.set(relative, undefined);
  return changes;
}

/** A rescan's changes less those that re-observed exactly what was known. */
function realChanges(
  before: ReadonlyMap<string, FileStat>,
  changes: ReadonlyMap<string, FileStat | undefined>,
): Map<string, FileStat | undefined> {
  const out = new Map<string, FileStat | undefined>();
  for (const [relative, stat] of changes) {
    const known = before.get(relative);
    if (stat === undefined ? known !== undefined : !sameStat(known, stat)) out.set(relative, stat);
  }
  return out;
}

function sameStat(a: FileStat | undefined, b: FileStat | undefined): boolean {
  if (!a || !b) return a === b;
  // A `Folder.meta` whose folder came or went is the same file with another owner (see FileStat.sidecarOfFolder).
  return (
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ino === b.ino &&
    a.sidecarOfFolder === b.sidecarOfFolder &&
    a.unsupported?.reason === b.unsupported?.reason &&
    a.unsupported?.folder === b.unsupported?.folder
  );
}

/** `paths` less repeats and those that lie under another of them, in their first order. */
function outermost(paths: readonly string[]): string[] {
  const named = new Set(paths);
  if (named.size < 2) return [...named];
  const out: string[] = [];
  for (const relative of named) {
    let covered = false;
    for (let at = relative.indexOf('/'); at > 0 && !covered; at = relative.indexOf('/', at + 1))
      covered = named.has(relative.slice(0, at));
    if (!covered) out.push(relative);
  }
  return out;
}

function mergeEscapes(previous: readonly string[], found: readonly string[], rescanned: readonly string[]): string[] {
  const kept = previous.filter(
    (escape) => !rescanned.some((prefix) => escape === prefix || escape.startsWith(prefix + '/')),
  );
  return [...new Set([...kept, ...found])].sort();
}
