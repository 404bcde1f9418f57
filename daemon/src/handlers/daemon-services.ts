import type { BuildOptions, Workspace } from '@packer/core';
import type { MethodResult } from '@packer/core/contract';
import type { EventLog } from '../events/index.js';
import type { OperationLane } from '../lane/operation-lane.js';
import type { StorageHealth } from '../process/storage-monitor.js';
import type { WebSocketListener } from '../rpc/websocket-listener.js';

type WatcherHealth = MethodResult<'daemon.health'>['watcher'];

/** The daemon process as `daemon.*` reports and stops it. */
export interface DaemonRuntime {
  readonly startedAt: Date;
  /** Initial scan done and serving. */
  readonly ready: boolean;
  readonly connectionCount: number;
  readonly subscriberCount: number;
  readonly webSocketEndpoint: WebSocketListener['endpoint'] | undefined;
  watcherHealth(): WatcherHealth;
  storageHealth(): StorageHealth;
  /** Graceful stop; resolves once stopped. */
  shutdown(reason: string): Promise<void>;
}

/**
 * What the method handlers may use of a started daemon: every part exists (no half-started fields), and each
 * handler group takes only the parts it needs (`Pick<DaemonServices, …>`). Composed once, in `Daemon.start`.
 */
export interface DaemonServices {
  readonly workspace: Workspace;
  readonly lane: OperationLane;
  readonly events: EventLog;
  readonly runtime: DaemonRuntime;
  /** Resolves once every disk change made before the call is in the snapshot (the watcher's cookie); at once without a
   * watcher. */
  syncWithDisk(): Promise<void>;
  /** As `syncWithDisk`, but a daemon without a watcher rescans in full (a build must not miss an edit). */
  catchUpWithDisk(cause: string): Promise<void>;
  /**
   * An apply committed: the paths it changed on disk (and the registry) are checked again once the watcher delivered
   * past its writes, since it may merge their events with a change made right after (DiskSync.noteOwnWrites).
   */
  noteOwnWrites(paths: readonly string[]): void;
  /** Publishes snapshot and divergence events if the workspace moved to a new revision. */
  publishState(cause: string): void;
  /** Failure injection between the steps of a build (test entry only). */
  readonly buildCrashHook: BuildOptions['crashHook'];
}
