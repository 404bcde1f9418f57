import { PackerError, summaryOfSnapshot, toPackerError } from '@packer/core/contract/runtime';
import type { Cursor, EventEnvelope, EventPayload, MethodResult, Snapshot } from '@packer/core/contract';
import type { ClientState, DaemonClient, EventSubscription } from '@packer/client/browser';
import { EventListeners } from './event-listeners.js';
import { loadPagedSnapshot } from './paged-snapshot.js';
import { SessionCommands } from './session-commands.js';
import {
  DEFAULT_ACTIVITY_LIMIT,
  EMPTY_ACTIVITY,
  reduceActivity,
  seedActivity,
  type ActivityFeed,
} from './view-models/activity-feed.js';
import { navigatorRows, type NavigatorOptions, type NavigatorRow } from './view-models/navigator.js';

/**
 * - `connecting`: first connection and first snapshot not done yet.
 * - `ready`: connected, following events, snapshot current.
 * - `reconnecting`: the connection dropped; resubscribing from the last cursor and reloading the snapshot.
 * - `stale`: the daemon reported divergence (a `divergence.detected` event, or a snapshot with divergence
 *   entries) — the workspace differs from the registry until someone reconciles.
 * - `closed`: `close()` was called, or the client gave up.
 */
export type SessionState = 'connecting' | 'ready' | 'reconnecting' | 'stale' | 'closed';

/** The snapshot's header, as `snapshot.summary` answers it. */
export type SnapshotHeader = MethodResult<'snapshot.summary'>;

export interface StudioSessionOptions {
  /**
   * `snapshot` (default): keep the whole snapshot (needed by `navigator()`), loaded page by page (assets,
   * untracked files, divergence, diagnostics), never in one message. `summary`: only `snapshot.summary` (counts);
   * page with `listAssets`: what a big project needs.
   */
  follow?: 'snapshot' | 'summary';
  /** Replay events after this cursor (a cursor the Studio saved). Default: from the moment of connecting. */
  since?: Cursor;
  /** Finished rows kept in the activity feed. */
  activityLimit?: number;
}

export interface SessionEvents {
  state: SessionState;
  /** A new snapshot revision was loaded. */
  snapshot: SnapshotHeader;
  /** Every packer event, in cursor order, each once. */
  event: EventEnvelope;
  activity: ActivityFeed;
  /** A background reload failed (it is retried on the next change or reconnect). */
  error: PackerError;
}

/**
 * A live view of one project for an editor: connection state, the current snapshot and its revision, the
 * activity feed, and pass-through commands (from SessionCommands). It translates what the packer says and decides
 * nothing itself.
 */
export class StudioSession extends SessionCommands {
  private currentState: SessionState = 'connecting';
  private header: SnapshotHeader | undefined;
  private fullSnapshot: Snapshot | undefined;
  private feed: ActivityFeed = EMPTY_ACTIVITY;
  /** The newest divergence count the packer reported, by revision (from snapshots and divergence events). */
  private divergence: { revision: number; count: number } | undefined;
  private subscription: EventSubscription | undefined;
  private resyncing = false;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private readonly listeners = new EventListeners<SessionEvents>();
  private readonly detachClient: () => void;

  private constructor(
    client: DaemonClient,
    private readonly options: StudioSessionOptions,
  ) {
    super(client);
    this.detachClient = client.onStateChange((state) => this.onClientState(state));
  }

  /** Follows a connected client: subscribes first (so nothing falls between), then loads the snapshot. */
  static async open(client: DaemonClient, options: StudioSessionOptions = {}): Promise<StudioSession> {
    const session = new StudioSession(client, options);
    try {
      await client.open();
      session.subscription = await client.subscribe({
        since: options.since ?? client.hello.cursor,
        onEvent: (event) => session.onEvent(event),
        onRestart: () => session.requestRefresh(),
        onExpired: () => session.requestRefresh(),
      });
      await session.refresh();
      const operations = await client.call('operations.list', {});
      session.setActivity(seedActivity(session.feed, operations.items));
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The current snapshot revision (undefined until the first load). */
  get revision(): number | undefined {
    return this.header?.revision;
  }

  /** The current snapshot's header: counts, registry state, divergence, last builds — the packer's. */
  get summary(): SnapshotHeader | undefined {
    return this.header;
  }

  /** The whole current snapshot (`follow: 'snapshot'` only). */
  get snapshot(): Snapshot | undefined {
    return this.fullSnapshot;
  }

  get activity(): ActivityFeed {
    return this.feed;
  }

  /** The cursor of the last event delivered: save it to resume with `since` later. */
  get cursor(): Cursor | undefined {
    return this.subscription?.cursor;
  }

  /** Navigator rows of the current snapshot. */
  navigator(options?: NavigatorOptions): NavigatorRow[] {
    if (!this.fullSnapshot)
      throw new PackerError('NOT_READY', "No snapshot loaded: open the session with follow: 'snapshot' (the default).");
    return navigatorRows(this.fullSnapshot, options);
  }

  on<K extends keyof SessionEvents>(type: K, listener: (value: SessionEvents[K]) => void): () => void {
    return this.listeners.on(type, listener);
  }

  /** Resolves once the session holds a snapshot at `revision` or newer (after an apply, say). */
  whenRevision(revision: number): Promise<SnapshotHeader> {
    if (this.header && this.header.revision >= revision) return Promise.resolve(this.header);
    return new Promise((resolve, reject) => {
      const offSnapshot = this.on('snapshot', (header) => {
        if (header.revision < revision) return;
        offSnapshot();
        offState();
        resolve(header);
      });
      const offState = this.on('state', (state) => {
        if (state !== 'closed') return;
        offSnapshot();
        offState();
        reject(new PackerError('NOT_READY', `The session closed before revision ${revision} arrived.`));
      });
    });
  }

  /** Reloads the snapshot now; throws what the packer answered if that fails. */
  async refresh(): Promise<void> {
    await this.load();
    this.updateState();
  }

  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.setState('closed');
    this.detachClient();
    await this.subscription?.close().catch(() => undefined);
    await this.client.close();
  }

  private onEvent(event: EventEnvelope): void {
    this.setActivity(reduceActivity(this.feed, event, this.options.activityLimit ?? DEFAULT_ACTIVITY_LIMIT));
    switch (event.type) {
      case 'snapshot.changed':
      case 'config.reloaded':
        this.requestRefresh();
        break;
      case 'divergence.detected':
      case 'divergence.resolved': {
        const payload = event.payload as EventPayload<'divergence.detected'>;
        this.noteDivergence(payload.revision, payload.count);
        break;
      }
      default:
        // Every other event only feeds the activity above and the 'event' listeners below.
        break;
    }
    this.emit('event', event);
  }

  private onClientState(state: ClientState): void {
    if (this.currentState === 'closed') return;
    if (state === 'closed') {
      void this.close();
    } else if (state === 'reconnecting') {
      this.resyncing = true;
      this.setState('reconnecting');
    } else if (state === 'connected' && this.resyncing) {
      // Back after a drop (maybe a new daemon): reload before calling the view current again.
      this.requestRefresh();
    }
  }

  private requestRefresh(): void {
    if (this.currentState === 'closed') return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = this.refreshLoop().finally(() => (this.refreshing = undefined));
  }

  private async refreshLoop(): Promise<void> {
    do {
      this.refreshAgain = false;
      try {
        await this.load();
      } catch (error) {
        if (this.currentState === 'closed') return;
        // A drop mid-load is retried when the client reconnects; anything else is reported.
        if (this.client.state === 'connected') this.emit('error', toPackerError(error));
        return;
      }
    } while (this.refreshAgain && this.currentState !== 'closed');
    this.updateState();
  }

  private async load(): Promise<void> {
    const resyncing = this.resyncing;
    await this.loadSnapshot();
    // Only a load that started after the reconnect proves the view is current again.
    if (resyncing && this.client.state === 'connected') this.resyncing = false;
  }

  private async loadSnapshot(): Promise<void> {
    if ((this.options.follow ?? 'snapshot') === 'snapshot') {
      const snapshot = await loadPagedSnapshot(this.client);
      if (this.header && snapshot.revision < this.header.revision) return;
      const changed = !this.header || snapshot.revision !== this.header.revision;
      this.fullSnapshot = snapshot;
      this.acceptHeader(summaryOfSnapshot(snapshot), changed);
    } else {
      const header = await this.client.call('snapshot.summary', {});
      if (this.header && header.revision < this.header.revision) return;
      this.acceptHeader(header, !this.header || header.revision !== this.header.revision);
    }
  }

  private acceptHeader(header: SnapshotHeader, changed: boolean): void {
    this.header = header;
    this.noteDivergence(header.revision, header.summary.divergence);
    if (changed) this.emit('snapshot', header);
  }

  private noteDivergence(revision: number, count: number): void {
    if (this.divergence && revision < this.divergence.revision) return;
    this.divergence = { revision, count };
    this.updateState();
  }

  private updateState(): void {
    if (this.currentState === 'closed' || !this.header) return;
    if (this.resyncing || this.client.state === 'reconnecting') {
      this.setState('reconnecting');
      return;
    }
    this.setState((this.divergence?.count ?? 0) > 0 ? 'stale' : 'ready');
  }

  private setActivity(feed: ActivityFeed): void {
    if (feed === this.feed) return;
    this.feed = feed;
    this.emit('activity', feed);
  }

  private setState(state: SessionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private emit<K extends keyof SessionEvents>(type: K, value: SessionEvents[K]): void {
    this.listeners.emit(type, value);
  }
}
