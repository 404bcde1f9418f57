import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { PackerError } from '../contract/errors.js';
import type { StorageWarning } from '../contract/methods.js';
import type { PackBuildInfo } from '../contract/snapshot-schema.js';
import { DigestCache } from '../digest/digest-cache.js';
import type { RegistryLoad } from '../registry/registry-store.js';
import { rescanPaths, scanWorkspace, type FileStat, type ScanResult } from '../scan/scanner.js';
import { buildSnapshot } from '../snapshot/build-snapshot.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { FingerprintStore } from '../snapshot/fingerprint-store.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import { RevisionCounter } from './revision-counter.js';

/**
 * Keeps the disk observation (files, digests) and derives each new snapshot from (registry, observation).
 * Callers serialise access (the workspace's queue); every publish is a new immutable state object.
 */
export class WorkspaceObserver {
  private current!: SnapshotState;
  private registry!: RegistryLoad;
  private scan: ScanResult = { files: new Map(), escapes: [] };
  private readonly digests: DigestCache;
  private readonly fingerprints: FingerprintStore;
  private readonly revisions: RevisionCounter;
  private lastBuilds: readonly PackBuildInfo[] = [];
  private recoveryDiagnostics: readonly Diagnostic[] = [];
  private packDiagnostics: readonly Diagnostic[] = [];
  private configProblem: Diagnostic | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private registeredCache: { entries: readonly { path: string }[]; paths: ReadonlySet<string> } | undefined;

  constructor(private readonly root: string, stateDir: string, private config: ProjectConfig) {
    this.digests = new DigestCache(stateDir);
    this.fingerprints = new FingerprintStore(stateDir, root);
    this.revisions = new RevisionCounter(stateDir);
  }

  get state(): SnapshotState {
    return this.current;
  }

  async initialize(registry: RegistryLoad, recoveryDiagnostics: readonly Diagnostic[]): Promise<void> {
    this.registry = registry;
    this.recoveryDiagnostics = recoveryDiagnostics;
    this.scan = scanWorkspace(this.root, this.config);
    await this.hashWhatMatters();
    const registered = new Set(registry.state === 'ok' ? registry.entries.map((entry) => entry.path) : []);
    // How many paths are kept: the store is walked for stale rows only when it holds more than that.
    const live = this.scan.files.size + [...registered].filter((relative) => !this.scan.files.has(relative)).length;
    this.digests.prune((relative) => registered.has(relative) || this.scan.files.has(relative), live);
    this.fingerprints.prune((relative) => registered.has(relative), registered.size);
    this.publish(this.revisions.next());
    this.digests.save();
  }

  async refresh(paths: readonly string[] | undefined, _cause: string): Promise<{ changed: boolean; state: SnapshotState }> {
    const next = paths === undefined ? scanWorkspace(this.root, this.config) : rescanPaths(this.root, this.config, this.scan.files, paths);
    const escapes = paths === undefined ? next.escapes : mergeEscapes(this.scan.escapes, next.escapes, paths);
    if (sameFiles(this.scan.files, next.files) && sameList([...this.scan.escapes].sort(), [...escapes].sort())) {
      return { changed: false, state: this.current };
    }
    this.scan = { files: next.files, escapes };
    await this.hashWhatMatters(paths);
    this.publish(this.revisions.next());
    return { changed: true, state: this.current };
  }

  async reloadRegistry(registry: RegistryLoad): Promise<{ changed: boolean; state: SnapshotState }> {
    const unchanged = registry.state === this.registry.state && (registry.state === 'ok' ? registry.text : null) === (this.registry.state === 'ok' ? this.registry.text : null);
    if (unchanged && registry.state === 'ok') return { changed: false, state: this.current };
    this.registry = registry;
    await this.hashWhatMatters();
    this.publish(this.revisions.next());
    return { changed: true, state: this.current };
  }

  /** Publishes the state after a commit, at exactly the revision the apply promised. */
  async publishCommit(registry: RegistryLoad, changedPaths: readonly string[], revision: number): Promise<void> {
    this.registry = registry;
    if (changedPaths.length > 0) {
      const next = rescanPaths(this.root, this.config, this.scan.files, changedPaths);
      this.scan = { files: next.files, escapes: mergeEscapes(this.scan.escapes, next.escapes, changedPaths) };
    }
    await this.hashWhatMatters();
    const assigned = this.revisions.next();
    if (assigned !== revision) throw new Error(`revision drift: promised ${revision}, assigned ${assigned}`);
    this.publish(assigned);
  }

  peekNextRevision(): number {
    return this.revisions.current + 1;
  }

  async setConfig(config: ProjectConfig): Promise<SnapshotState> {
    this.config = config;
    this.configProblem = undefined;
    this.scan = scanWorkspace(this.root, config);
    await this.hashWhatMatters();
    this.publish(this.revisions.next());
    return this.current;
  }

  async setConfigProblem(error: PackerError): Promise<void> {
    this.configProblem = diagnostic('INVALID_CONFIG', `${error.message} The last valid configuration stays in force.`, { path: 'packer.json' }, String(error.data.hint ?? 'Fix packer.json.'));
    this.publish(this.revisions.next());
  }

  /** Replaces the diagnostics that crash recovery left (e.g. an invalid journal that was removed) and publishes. */
  setRecoveryDiagnostics(diagnostics: readonly Diagnostic[]): SnapshotState {
    this.recoveryDiagnostics = diagnostics;
    this.publish(this.revisions.next());
    return this.current;
  }

  /** `packDiagnostics` (PACK_UNVERIFIED findings) replace the previous ones when given. */
  async setLastBuilds(builds: readonly PackBuildInfo[], packDiagnostics?: readonly Diagnostic[]): Promise<SnapshotState> {
    this.lastBuilds = builds;
    if (packDiagnostics) this.packDiagnostics = packDiagnostics;
    this.publish(this.revisions.next());
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
    this.saveTimer ??= setTimeout(() => (existsSync(this.root) ? this.save() : (this.saveTimer = undefined)), 1000);
    this.saveTimer.unref?.();
  }

  /**
   * Registered files always; untracked files only when their size matches a missing asset's last known size
   * (that is how an outside move is recognised, whatever order the watcher reported its halves in).
   * With `scope` (the paths a watcher batch named), registered files are hashed only at or under those paths:
   * every other file kept its stat, so its cached digest is still good — at 100k files that is most of a refresh.
   */
  private async hashWhatMatters(scope?: readonly string[]): Promise<void> {
    const entries = this.registry.state === 'ok' ? this.registry.entries : [];
    const registered = this.registeredPaths(entries);
    const files = this.scan.files;
    const missingSizes = new Set<number>();
    for (const entry of entries) {
      if (files.has(entry.path)) continue;
      const known = this.digests.lastKnown(entry.path);
      if (known) missingSizes.add(known.size);
    }
    const wanted: [string, FileStat][] = [];
    if (scope === undefined) {
      for (const [relative, stat] of files) if (registered.has(relative)) wanted.push([relative, stat]);
    } else {
      for (const changed of scope) {
        const stat = files.get(changed);
        if (stat) {
          if (registered.has(changed)) wanted.push([changed, stat]);
          continue;
        }
        const prefix = changed + '/';
        for (const [relative, fileStat] of files) if (registered.has(relative) && relative.startsWith(prefix)) wanted.push([relative, fileStat]);
      }
    }
    // Untracked files the size of a missing asset, anywhere: the other half of a move may have come in an
    // earlier batch (a copy, then a delete). Already-hashed ones are cache hits.
    if (missingSizes.size > 0) {
      for (const [relative, stat] of files) if (!registered.has(relative) && missingSizes.has(stat.size)) wanted.push([relative, stat]);
    }
    if ((await this.digests.ensure(this.root, wanted)) > 0) this.scheduleSave();
    // What a registered file holds now is what a rename-and-edit outside the packer is later compared with.
    this.fingerprints.ensure(wanted, (relative, stat) => this.digests.get(relative, stat), (relative) => registered.has(relative));
  }

  /** Registered paths as a set, rebuilt only when the registry's entries change. */
  private registeredPaths(entries: readonly { path: string }[]): ReadonlySet<string> {
    if (this.registeredCache?.entries !== entries) this.registeredCache = { entries, paths: new Set(entries.map((entry) => entry.path)) };
    return this.registeredCache.paths;
  }

  private publish(revision: number): void {
    const extra = [...this.recoveryDiagnostics, ...this.packDiagnostics, ...(this.configProblem ? [this.configProblem] : [])];
    this.current = buildSnapshot({
      revision,
      config: this.config,
      registry: this.registry,
      files: this.scan.files,
      escapes: this.scan.escapes,
      digests: this.digests,
      fingerprints: this.fingerprints,
      lastBuilds: this.lastBuilds,
      extraDiagnostics: extra,
      previous: this.current,
    });
  }
}

function sameFiles(a: ReadonlyMap<string, FileStat>, b: ReadonlyMap<string, FileStat>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, stat] of a) {
    const other = b.get(key);
    // A `Folder.meta` whose folder came or went is the same file with another owner (see FileStat.sidecarOfFolder).
    if (!other || other.size !== stat.size || other.mtimeMs !== stat.mtimeMs || other.ino !== stat.ino || other.sidecarOfFolder !== stat.sidecarOfFolder) return false;
  }
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function mergeEscapes(previous: readonly string[], found: readonly string[], rescanned: readonly string[]): string[] {
  const kept = previous.filter((escape) => !rescanned.some((prefix) => escape === prefix || escape.startsWith(prefix + '/')));
  return [...new Set([...kept, ...found])].sort();
}
