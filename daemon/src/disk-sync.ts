import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  COOKIE_PREFIX,
  CONFIG_FILE,
  REGISTRY_FILE,
  REGISTRY_FOLDER,
  type ProjectConfig,
  type Workspace,
} from '@packer/core';
import { CookieSync, type DeliveredCookie } from './cookie-sync.js';
import { OwnWrites } from './own-writes.js';
import type { MethodResult, PackerErrorJSON } from '@packer/core/contract';
import { BurstDetector, relistFolders, STAT_BUDGET_MIN, STAT_BUDGET_PER_PATH } from './watcher/burst-relist.js';
import {
  createIgnoreMatcher,
  type IgnoreMatcher,
  type SelectedWatcherBackend,
  type WatchBatch,
  type WatcherErrorInfo,
  type WatchSubscription,
} from './watcher/index.js';

type WatcherHealth = MethodResult<'daemon.health'>['watcher'];

export interface DiskSyncOptions {
  /** The project folder; what is watched is decided by `config` until `attach` hands over the workspace. */
  root: string;
  config: ProjectConfig;
  backend: SelectedWatcherBackend;
  /** Called after the workspace may have published a new state. */
  onStateMaybeChanged(cause: string): void;
  onConfigInvalid(error: PackerErrorJSON): void;
  onConfigReloaded(revision: number): void;
  onDegraded(info: { backend: string; reason: string; hint?: string }): void;
  onRecovered(backend: string): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** Milliseconds clock that tells a split burst from a lone change (tests pass their own); `performance.now`. */
  now?: () => number;
  /** Changes in one train from which an overflow of the kernel's queue is suspected; `overflowSuspectEvents()`. */
  overflowSuspectEvents?: number;
}

const VCS_LOCKS = ['.git/index.lock', '.hg/wlock'];
const HOLD_RECHECK_MS = 100;
const HOLD_CAP_MS = 10_000;
const COOKIE_TIMEOUT_MS = 5_000;
/**
 * Deliveries closer than this belong to one train of changes (parcel delivers at least every 500 ms in a burst); a
 * train is counted afresh every TRAIN_SPAN_MS, so a slow steady writer never adds up to a suspected overflow.
 */
const TRAIN_GAP_MS = 600;
const TRAIN_SPAN_MS = 5_000;
/** The name `heldBy` gives a burst held because the kernel's watch queue may have overflowed. */
export const OVERFLOW_HOLD = 'inotify queue (a burst of changes may have overflowed it)';

/**
 * How many changes in one train make an overflow of the kernel's inotify queue possible: half its length
 * (/proc/sys/fs/inotify/max_queued_events, 16384 by default). The kernel drops what does not fit and says so with
 * IN_Q_OVERFLOW, which @parcel/watcher skips without a word (InotifyBackend.cc: `overflow → continue`), so the
 * packer cannot see the overflow itself, only a burst big enough to have caused one.
 */
export function overflowSuspectEvents(queueFile = '/proc/sys/fs/inotify/max_queued_events'): number {
  try {
    const length = Number.parseInt(readFileSync(queueFile, 'utf8'), 10);
    if (Number.isSafeInteger(length) && length > 0) return Math.max(1, Math.floor(length / 2));
  } catch {
    // Not Linux, or /proc not mounted: the kernel default.
  }
  return 8192;
}

/**
 * Keeps the workspace in step with the disk. The watcher only says where to look again; the workspace
 * rescans those paths and derives divergence. Bursts and version-control operations are held back and then
 * settled in one rescan. Read-your-writes: `sync()` makes a cookie round trip (CookieSync) through each asset root
 * and resolves once its cookie is settled, which happens after every change delivered before it was rescanned.
 */
export class DiskSync {
  private workspaceRef: Workspace | undefined;
  private attachWorkspace!: () => void;
  private starting: Promise<void> | undefined;
  private subscription: WatchSubscription | undefined;
  private pendingPaths = new Set<string>();
  private pendingConfig = false;
  private pendingRegistry = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly cookies = new CookieSync();
  // Batches seen before `attach` wait here: the watcher starts while the workspace is still opening.
  private processing = new Promise<void>((resolve) => (this.attachWorkspace = resolve));
  private health: WatcherHealth;
  private closed = false;
  private vcsHoldSince: number | undefined;
  private vcsHoldReported = false;
  /** What changes are held for (a version-control lock, OVERFLOW_HOLD), from the first batch held until settled. */
  private heldBy: string | undefined;
  private readonly bursts: BurstDetector;
  private readonly now: () => number;
  private readonly overflowSuspectEvents: number;
  /** Events of the current train of deliveries, and when its last delivery arrived. */
  private trainEvents = 0;
  private lastDeliveryAt = Number.NEGATIVE_INFINITY;
  private trainStartedAt = Number.NEGATIVE_INFINITY;
  /**
   * When a train big enough to have overflowed the kernel's queue was seen: changes are held until the train is
   * quiet (at most HOLD_CAP_MS, so a writer that never stops cannot freeze the packer), then settled in one full
   * rescan.
   */
  private overflowSuspectSince: number | undefined;
  /** Folders a burst touched, to list again once its reported paths are applied (see burst-relist.ts). */
  private relistPending = new Set<string>();
  /** Paths reported by the deliveries that asked for those folders: the next pass's lstat budget follows them. */
  private relistReported = 0;
  private ignored: IgnoreMatcher = createIgnoreMatcher([]);
  /** Paths the daemon's own applies changed on disk, to observe again (own-writes.ts). */
  private readonly ownWrites = new OwnWrites();
  private ownWritesTimer: NodeJS.Timeout | undefined;
  /** Folders listed again after bursts so far, and how many of those passes found a change nobody reported. */
  readonly relistStats = { folders: 0, passes: 0, found: 0, entries: 0, statted: 0 };

  constructor(private readonly options: DiskSyncOptions) {
    this.now = options.now ?? (() => performance.now());
    this.bursts = new BurstDetector(this.now);
    this.overflowSuspectEvents = options.overflowSuspectEvents ?? overflowSuspectEvents();
    this.health = { backend: options.backend.name, state: 'starting' };
    if (options.backend.fallbackReason) this.health.reason = options.backend.fallbackReason;
  }

  get watcherHealth(): WatcherHealth {
    return { ...this.health, ...(this.heldBy !== undefined ? { heldBy: this.heldBy } : {}) };
  }

  /** The workspace the watched changes are applied to, once it is open; changes seen before are applied now. */
  attach(workspace: Workspace): void {
    this.workspaceRef = workspace;
    this.attachWorkspace();
  }

  private get workspace(): Workspace {
    if (!this.workspaceRef) throw new Error('DiskSync used before attach()');
    return this.workspaceRef;
  }

  /**
   * Subscribes. Runs while the workspace loads its config and registry: the native watcher crawls the tree on its
   * own thread, adding a watch per folder, and the open's scan waits for it (WorkspaceOptions.beforeScan, see
   * daemon.ts): a change before the scan reads a folder is in the scan, one after is reported and applied once the
   * workspace is attached.
   */
  start(): Promise<void> {
    this.starting ??= this.subscribeNow();
    return this.starting;
  }

  private async subscribeNow(): Promise<void> {
    try {
      this.subscription = await this.subscribe();
      this.health = { ...this.health, state: 'ok' };
    } catch (error) {
      this.degrade({ reason: (error as Error).message, fatal: true, ...hintOf(error) });
    }
  }

  private subscribe(): Promise<WatchSubscription> {
    const config = this.workspaceRef?.config ?? this.options.config;
    const ignore = [
      '.packer/**',
      '.git/**',
      '.hg/**',
      'node_modules/**',
      `${config.buildDir}/**`,
      ...watcherIgnores(config.ignore, config.assetRoots, config.ignoreFoldersWith),
    ];
    this.ignored = createIgnoreMatcher(ignore);
    return this.options.backend.subscribe({
      root: this.options.root,
      ignore,
      onBatch: (batch) => this.enqueue(batch),
      onError: (error) => this.degrade(error),
      // A cookie means a synced read is waiting: deliver its batch without the quiet period.
      urgent: (absolutePath) => CookieSync.isCookie(absolutePath),
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    if (this.ownWritesTimer) clearTimeout(this.ownWritesTimer);
    this.ownWrites.clear();
    // A subscription still starting is closed once it exists, never left running.
    await this.starting?.catch(() => undefined);
    await this.subscription?.close();
    this.subscription = undefined;
    this.cookies.releaseAll();
    if (this.workspaceRef) await this.processing.catch(() => undefined);
  }

  /** Resolves once every change made to the disk before the call is reflected in the workspace's snapshot. */
  async sync(): Promise<void> {
    if (this.health.state !== 'ok') {
      // Without a trustworthy watcher the only proof is a full rescan.
      await this.workspace.refresh(undefined, 'sync-rescan');
      this.options.onStateMaybeChanged('rescan');
      return;
    }
    const { workspace } = this;
    const roots = workspace.config.assetRoots
      .map((root) => path.join(workspace.root, root))
      // A root that is missing or a file (ASSET_ROOT_MISSING) has nothing to watch and no room for a cookie.
      .filter((root) => statSync(root, { throwIfNoEntry: false })?.isDirectory() === true);
    if (roots.length === 0) {
      await this.processing;
      return;
    }
    if ((await this.cookies.roundTrip(roots, COOKIE_TIMEOUT_MS)) === 'timeout') {
      this.options.log('warn', 'cookie not seen by the watcher in time; rescanning', { roots });
      await this.workspace.refresh(undefined, 'sync-rescan');
      this.options.onStateMaybeChanged('rescan');
    }
  }

  /**
   * The daemon's own apply changed `paths` on disk (and the registry) and published them itself: they are observed
   * again once the watcher has taken its pending events past those writes, since it may have merged them with a
   * change made right after (own-writes.ts). Costs those paths and a stat-keyed registry reload, never the project.
   */
  noteOwnWrites(paths: readonly string[]): void {
    // Without a trustworthy watcher every synced read rescans in full anyway.
    if (this.closed || !this.workspaceRef || this.health.state !== 'ok') return;
    this.ownWrites.note(paths, this.cookies.issued);
    this.scheduleOwnWrites();
  }

  /** A timer for the oldest own writes not yet checked, queued behind the batches delivered by then. */
  private scheduleOwnWrites(): void {
    const dueAt = this.ownWrites.nextDueAt;
    if (this.ownWritesTimer || dueAt === undefined || this.closed) return;
    this.ownWritesTimer = setTimeout(
      () => {
        this.ownWritesTimer = undefined;
        // Held (a version-control operation, a burst): the flush that settles the hold takes them, due by then.
        if (this.heldBy !== undefined) return;
        this.processing = this.processing
          .then(() => this.recheckOwnWrites([]))
          .catch((error: unknown) => {
            this.options.log('error', "checking the daemon's own writes again failed", {
              error: (error as Error).message,
            });
          });
      },
      Math.max(0, dueAt - performance.now()),
    );
    this.ownWritesTimer.unref();
  }

  private enqueue(batch: WatchBatch): void {
    const { root } = this.options;
    const assetPaths: string[] = [];
    for (const event of batch.events) {
      const relative = path.relative(root, event.path).split(path.sep).join('/');
      if (CookieSync.isCookie(relative)) {
        if (event.type !== 'unlink') this.cookies.noteDelivered(event.path);
      } else if (relative === CONFIG_FILE) this.pendingConfig = true;
      // The single-file registry, or anything under the shard folder (a shard, its temp file, the folder itself).
      else if (relative === REGISTRY_FILE || relative === REGISTRY_FOLDER || relative.startsWith(`${REGISTRY_FOLDER}/`))
        this.pendingRegistry = true;
      else if (relative && !relative.startsWith('..')) {
        this.pendingPaths.add(relative);
        assetPaths.push(relative);
      }
    }
    const now = this.now();
    if (now - this.lastDeliveryAt >= TRAIN_GAP_MS || now - this.trainStartedAt >= TRAIN_SPAN_MS) {
      this.trainEvents = 0;
      this.trainStartedAt = now;
    }
    this.trainEvents += batch.events.length;
    this.lastDeliveryAt = now;
    if (this.trainEvents >= this.overflowSuspectEvents) this.overflowSuspectSince ??= now;
    const relist = this.bursts.noteDelivery(assetPaths);
    for (const folder of relist) this.relistPending.add(folder);
    if (relist.size > 0) this.relistReported += assetPaths.length;
    this.processing = this.processing
      .then(() => this.flush())
      .catch((error: unknown) => {
        this.options.log('error', 'applying watcher batch failed', { error: (error as Error).message });
      });
  }

  private async flush(): Promise<void> {
    const lock = this.vcsLock();
    const vcsHold = lock !== undefined && !this.vcsHoldTooLong() ? lock : undefined;
    // A train that may have overflowed the kernel's queue lost changes nobody reported: hold everything (synced
    // reads too) until it is quiet, then settle in one full rescan, as for a version-control operation.
    const now = this.now();
    const overflowHold =
      this.overflowSuspectSince !== undefined &&
      now - this.lastDeliveryAt < TRAIN_GAP_MS &&
      now - this.overflowSuspectSince < HOLD_CAP_MS
        ? OVERFLOW_HOLD
        : undefined;
    const hold = vcsHold ?? overflowHold;
    if (hold !== undefined) {
      // A version-control operation or a huge burst is rewriting files: hold everything and settle once, when done.
      this.heldBy = hold;
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = undefined;
        this.processing = this.processing.then(() => this.flush());
      }, HOLD_RECHECK_MS);
      return;
    }
    const { workspace } = this;
    // Take the cookies now: one that arrives while this flush rescans may come with changes it does not cover,
    // so it is left for the next flush (its batch queued one).
    const seenCookies = this.cookies.takeDelivered();
    // What a version-control operation changed settles in one full rescan, not a rescan of the paths reported: such
    // bursts are where @parcel/watcher drops events (parcel-bundler/watcher#183: its debounce thread copies the event
    // list and clears it under two separate locks, so an event added in between is lost), and a synced read whose
    // cookie came later would answer without that change.
    const settleHold = this.heldBy !== undefined || this.overflowSuspectSince !== undefined;
    if (this.overflowSuspectSince !== undefined)
      this.options.log('warn', 'a burst may have overflowed the inotify queue; rescanning', {
        events: this.trainEvents,
      });
    this.heldBy = undefined;
    this.overflowSuspectSince = undefined;
    if (this.pendingConfig) {
      this.pendingConfig = false;
      const before = watchedShape(workspace.config);
      // A live, healthy watch has kept the scan current (a burst being settled has not): the files are walked again
      // only if the config walks others. Paths queued with the edit come in just below, at the next revision.
      const scanIsCurrent = this.subscription !== undefined && this.health.state === 'ok' && !settleHold;
      const outcome = await workspace.reloadConfig({ scanIsCurrent });
      if (outcome.ok) this.options.onConfigReloaded(outcome.state.snapshot.revision);
      else this.options.onConfigInvalid(outcome.error.toJSON());
      this.options.onStateMaybeChanged('config');
      // New ignore globs or build folder change what the watcher must report: watch again with them.
      if (outcome.ok && watchedShape(workspace.config) !== before && this.subscription) await this.resubscribe();
    }
    if (this.pendingRegistry) {
      this.pendingRegistry = false;
      await workspace.reloadRegistry();
      this.options.onStateMaybeChanged('registry');
    }
    if (settleHold) {
      this.pendingPaths = new Set();
      this.relistPending = new Set();
      this.relistReported = 0;
      await workspace.refresh(undefined, 'vcs-settled');
      this.options.onStateMaybeChanged('rescan');
    } else if (this.pendingPaths.size > 0) {
      const paths = [...this.pendingPaths];
      this.pendingPaths = new Set();
      await workspace.refresh(paths, 'watcher');
      this.options.onStateMaybeChanged('disk');
    }
    // After the reported paths are published (their latency never includes it), before the cookies are settled (a
    // synced read sees what it finds).
    if (this.relistPending.size > 0) await this.relistBurstFolders();
    await this.recheckOwnWrites(seenCookies);
    this.bursts.noteApplied();
    this.cookies.settle(seenCookies);
  }

  /**
   * Lists the folders a burst touched again and re-observes what differs from the snapshot: what @parcel/watcher may
   * have dropped from the burst (burst-relist.ts). Costs the folders' own entries, never the project.
   */
  private async relistBurstFolders(): Promise<void> {
    const { workspace } = this;
    const roots = workspace.config.assetRoots;
    const folders = [...this.relistPending].filter((folder) =>
      roots.some((root) => folder === root || folder.startsWith(`${root}/`)),
    );
    const statBudget = Math.max(STAT_BUDGET_MIN, STAT_BUDGET_PER_PATH * this.relistReported);
    this.relistPending = new Set();
    this.relistReported = 0;
    if (folders.length === 0) return;
    const skip = (relative: string): boolean => CookieSync.isCookie(relative) || this.ignored.matches(relative);
    const { stale, entries, statted } = relistFolders(
      this.options.root,
      folders,
      workspace.state.files,
      skip,
      statBudget,
    );
    this.relistStats.passes++;
    this.relistStats.folders += folders.length;
    this.relistStats.entries += entries;
    this.relistStats.statted += statted;
    if (stale.length === 0) return;
    // Files the scan leaves out (gitignored, unsupported names) are listed as unknown every time: a no-op refresh.
    if (!(await workspace.refresh(stale, 'watcher-relist')).changed) return;
    this.relistStats.found++;
    // Lost events (parcel-bundler/watcher#183), or changes of a burst still going on that the watcher has not sent yet.
    this.options.log('info', 'listing the folders of a burst again found changes not reported (yet); applied them', {
      folders: folders.length,
      paths: stale.slice(0, 10),
      count: stale.length,
    });
    this.options.onStateMaybeChanged('disk');
  }

  /**
   * Re-observes the paths of the applies that wrote before one of `delivered` (this daemon's cookies) was written or
   * that are due by time, and re-reads the registry (see `noteOwnWrites`). In a flush, before its cookies are settled:
   * a synced read sees the result. Then waits for the next ones.
   */
  private async recheckOwnWrites(delivered: readonly DeliveredCookie[]): Promise<void> {
    if (this.ownWrites.size === 0 || this.closed) return;
    const due = this.ownWrites.takeDue(this.cookies.newestOwn(delivered));
    this.scheduleOwnWrites();
    if (due.applies === 0) return;
    const { workspace } = this;
    if ((await workspace.reloadRegistry()).changed) this.options.onStateMaybeChanged('registry');
    if (due.paths.length === 0 || !(await workspace.refresh(due.paths, 'own-writes')).changed) return;
    // Merged away by the watcher (own-writes.ts), or changed since by someone whose event is still on its way.
    this.options.log('info', "paths the daemon's own apply wrote changed with no event yet; applied them", {
      paths: due.paths.slice(0, 10),
      count: due.paths.length,
    });
    this.options.onStateMaybeChanged('disk');
  }

  /** The version-control lock file present in the project (`.git/index.lock`), if any. */
  private vcsLock(): string | undefined {
    const lock = VCS_LOCKS.find((candidate) => existsSync(path.join(this.options.root, candidate)));
    if (lock === undefined) {
      this.vcsHoldSince = undefined;
      this.vcsHoldReported = false;
    } else this.vcsHoldSince ??= Date.now();
    return lock;
  }

  /** A lock left behind by a crashed git must not freeze the packer: past the cap, changes go through. */
  private vcsHoldTooLong(): boolean {
    if (this.vcsHoldSince === undefined || Date.now() - this.vcsHoldSince < HOLD_CAP_MS) return false;
    if (!this.vcsHoldReported) {
      this.vcsHoldReported = true;
      this.options.onDegraded({
        backend: this.options.backend.name,
        reason: `A version-control lock (${VCS_LOCKS.join(' or ')}) has been held for over ${HOLD_CAP_MS / 1000} s; changes are applied anyway.`,
        hint: 'If no git or hg command is running, remove the stale lock file.',
      });
    }
    return true;
  }

  /**
   * A watcher problem is never silent: `watcher.degraded`, a full rescan (something may have been missed), and,
   * when the subscription died, one attempt to watch again. Until that works, synced reads rescan in full.
   */
  private degrade(error: WatcherErrorInfo): void {
    // Reported once there is a workspace to rescan (a watch that failed while the workspace was opening).
    if (!this.workspaceRef) {
      void this.processing.then(() => this.degrade(error));
      return;
    }
    const backend = this.options.backend.name;
    const info = { backend, reason: error.reason, ...(error.hint ? { hint: error.hint } : {}) };
    this.options.log('warn', 'watcher degraded', { reason: error.reason, code: error.code, fatal: error.fatal });
    if (error.fatal) this.health = { ...info, state: 'degraded' };
    this.options.onDegraded(info);
    this.processing = this.processing.then(async () => {
      await this.workspace.refresh(undefined, 'watcher-error');
      this.options.onStateMaybeChanged('rescan');
      if (error.fatal && !this.closed) await this.resubscribe();
    });
  }

  private async resubscribe(): Promise<void> {
    await this.subscription?.close().catch(() => undefined);
    this.subscription = undefined;
    // New asset roots may hold cookies a killed daemon left there.
    const strayCookies = this.cookies.removeStale(
      this.workspace.config.assetRoots.map((root) => path.join(this.options.root, root)),
    );
    if (strayCookies.length > 0)
      this.options.log('info', 'removed cookie files left by a previous daemon', { files: strayCookies });
    try {
      this.subscription = await this.subscribe();
    } catch (error) {
      this.options.log('warn', 'watcher could not be restarted; synced reads rescan in full', {
        error: (error as Error).message,
      });
      return;
    }
    this.health = { backend: this.options.backend.name, state: 'ok' };
    this.options.onRecovered(this.options.backend.name);
    // Changes made while no watcher was running are caught by one more rescan.
    await this.workspace.refresh(undefined, 'watcher-restart');
    this.options.onStateMaybeChanged('rescan');
  }
}

/** The parts of the config the watcher subscription depends on. */
function watchedShape(config: {
  ignore: readonly string[];
  buildDir: string;
  assetRoots: readonly string[];
  ignoreFoldersWith?: readonly string[];
}): string {
  return JSON.stringify([config.ignore, config.buildDir, config.assetRoots, config.ignoreFoldersWith]);
}

/**
 * The project's ignore globs as the watcher gets them: a glob that would also hide a read-your-writes cookie
 * (say `**\/.*`) is left to the scanner, which ignores those files anyway, so synced reads never wait in vain.
 * Likewise a glob hiding a folder marker (`**\/.gdignore`, packer.json `ignoreFoldersWith`): the scan must hear
 * that one come and go, since it decides whether the whole folder is seen.
 */
function watcherIgnores(
  globs: readonly string[],
  assetRoots: readonly string[],
  markers: readonly string[] = [],
): string[] {
  const cookies = assetRoots.map((root) => `${root}/${COOKIE_PREFIX}probe`);
  const probes = [...cookies, ...assetRoots.flatMap((root) => markers.map((marker) => `${root}/probe/${marker}`))];
  return globs.filter((glob) => !probes.some((probe) => createIgnoreMatcher([glob]).matches(probe)));
}

function hintOf(error: unknown): { code?: string; hint?: string } {
  const code = (error as { code?: string }).code;
  const hint = (error as { hint?: string }).hint;
  return { ...(code ? { code } : {}), ...(hint ? { hint } : {}) };
}
