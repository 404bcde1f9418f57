import { formatCursor, isPackerError, PackerError, parseCursor } from '@packer/core/contract/runtime';
import type { Cursor, EventEnvelope, MethodName, MethodParams, MethodResult } from '@packer/core/contract';
import type { RpcConnection } from './rpc-connection.js';

/** An open connection plus the daemon's hello (and, in-process, something to shut down on close). */
export interface Connected {
  connection: RpcConnection;
  hello: MethodResult<'daemon.hello'>;
  /** Present when the daemon's server runs in this process (`--no-daemon`). */
  inProcess?: { shutdown(reason: string): Promise<void> };
  /** An in-process run was asked for, but a running daemon owns the project, so this connection goes to it. */
  usedRunningDaemon?: boolean;
}

/** Opens a new connection: a Unix socket, an in-process server, a WebSocket. Called again to reconnect. */
export type Connector = () => Promise<Connected>;

export interface DaemonClientOptions {
  /** Reconnect (through the connector, which may restart the daemon) when the connection drops. Default true. */
  reconnect?: boolean;
}

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface EventSubscriptionOptions {
  /** Replay from after this cursor, then follow live. Default: only what happens next. */
  since?: Cursor;
  /** Without `since`: replay the last this many events the log holds, then follow live. */
  last?: number;
  onEvent(event: EventEnvelope): void;
  /** The daemon or the log said the cursor cannot be resumed (log rotated past it): reload state and resubscribe. */
  onExpired?(info: { cursor: Cursor; message: string }): void;
  /** A new daemon generation answered (the daemon restarted since the last event). */
  onRestart?(info: { generation: number }): void;
}

export interface EventSubscription {
  /** The cursor of the last event delivered (resume point). */
  readonly cursor: Cursor | undefined;
  close(): Promise<void>;
}

/**
 * The client library the CLI and the Studio adapter use: typed calls from the contract and event subscriptions
 * that reconnect and resume from the last cursor, without missing or duplicating an event.
 */
export class DaemonClient {
  private connected: Connected | undefined;
  private connecting: Promise<Connected> | undefined;
  private readonly subscriptions = new Set<ActiveSubscription>();
  private stateListeners: ((state: ClientState) => void)[] = [];
  private currentState: ClientState = 'connecting';

  /** Browser-safe: knows nothing of sockets or processes; the connector does. */
  constructor(
    private readonly connector: Connector,
    private readonly options: DaemonClientOptions = {},
  ) {}

  /** Opens the first connection (and says hello through the connector). */
  async open(): Promise<this> {
    await this.ensureConnected();
    return this;
  }

  get state(): ClientState {
    return this.currentState;
  }

  get hello(): MethodResult<'daemon.hello'> {
    if (!this.connected) throw new PackerError('NOT_READY', 'Not connected to the packer daemon.');
    return this.connected.hello;
  }

  /** True when the daemon's server runs inside this process. */
  get inProcess(): boolean {
    return this.connected?.inProcess !== undefined;
  }

  /** True when an in-process run was asked for but a running daemon owns the project and answers instead. */
  get usedRunningDaemon(): boolean {
    return this.connected?.usedRunningDaemon === true;
  }

  onStateChange(listener: (state: ClientState) => void): () => void {
    this.stateListeners.push(listener);
    return () => (this.stateListeners = this.stateListeners.filter((item) => item !== listener));
  }

  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    const { connection } = await this.ensureConnected();
    return connection.call(method, params);
  }

  /** Subscribes to events; survives reconnects by resubscribing from the last delivered cursor. */
  async subscribe(options: EventSubscriptionOptions): Promise<EventSubscription> {
    const subscription = new ActiveSubscription(options, this);
    this.subscriptions.add(subscription);
    await subscription.attach((await this.ensureConnected()).connection);
    return subscription;
  }

  /** @internal */
  forget(subscription: ActiveSubscription): void {
    this.subscriptions.delete(subscription);
  }

  async close(): Promise<void> {
    this.setState('closed');
    const connected = this.connected;
    this.connected = undefined;
    for (const subscription of this.subscriptions) subscription.detach();
    this.subscriptions.clear();
    connected?.connection.close();
    await connected?.inProcess?.shutdown('client closed');
  }

  private ensureConnected(): Promise<Connected> {
    if (this.connected && !this.connected.connection.closed) return Promise.resolve(this.connected);
    this.connecting ??= this.openConnection().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async openConnection(): Promise<Connected> {
    const connected = await this.connector();
    this.connected = connected;
    this.setState('connected');
    connected.connection.onClose(() => {
      if (this.currentState === 'closed' || this.connected !== connected) return;
      this.connected = undefined;
      if (this.options.reconnect === false || connected.inProcess) {
        this.setState('closed');
        return;
      }
      this.setState('reconnecting');
      void this.reconnect();
    });
    return connected;
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 0; this.currentState === 'reconnecting'; attempt++) {
      try {
        const { connection } = await this.ensureConnected();
        for (const subscription of this.subscriptions) await subscription.attach(connection);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  }

  private setState(state: ClientState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

class ActiveSubscription implements EventSubscription {
  private lastCursor: Cursor | undefined;
  private lastGeneration: number | undefined;
  private subscriptionId: string | undefined;
  private detachers: (() => void)[] = [];
  private connection: RpcConnection | undefined;

  constructor(
    private readonly options: EventSubscriptionOptions,
    private readonly owner: DaemonClient,
  ) {
    this.lastCursor = options.since;
  }

  get cursor(): Cursor | undefined {
    return this.lastCursor;
  }

  async attach(connection: RpcConnection): Promise<void> {
    this.detach();
    // Re-attaching on the same live connection: end the old subscription there, or the daemon keeps
    // streaming to an id nobody reads.
    if (this.subscriptionId && this.connection === connection && !connection.closed) {
      void connection.call('events.unsubscribe', { subscriptionId: this.subscriptionId }).catch(() => undefined);
    }
    this.connection = connection;
    const buffered: { subscriptionId: string; event: EventEnvelope }[] = [];
    let ready = false;
    const deliver = (event: EventEnvelope): void => {
      // Events are a strictly increasing sequence: anything at or below the last cursor was already delivered.
      if (this.lastCursor && parseCursor(event.cursor).seq <= parseCursor(this.lastCursor).seq) return;
      this.lastCursor = event.cursor;
      this.options.onEvent(event);
    };
    this.detachers.push(
      connection.onNotification('events.event', ({ subscriptionId, event }) => {
        if (!ready) buffered.push({ subscriptionId, event });
        else if (subscriptionId === this.subscriptionId) deliver(event);
      }),
      connection.onNotification('events.closed', ({ subscriptionId }) => {
        if (subscriptionId !== this.subscriptionId) return;
        // Overflow: resume from our last cursor. Expired (the log rotated past a slow replay): the same re-attach
        // meets CURSOR_EXPIRED at subscribe time, tells onExpired once, and goes on from the oldest held event.
        void this.attach(connection).catch(() => undefined);
      }),
    );
    let result: MethodResult<'events.subscribe'>;
    try {
      // Once an event came (or a first subscribe answered), resuming is by cursor; `last` only starts it.
      const start = this.lastCursor
        ? { since: this.lastCursor }
        : this.options.last !== undefined
          ? { last: this.options.last }
          : {};
      result = await connection.call('events.subscribe', start);
    } catch (error) {
      if (isPackerError(error, 'CURSOR_EXPIRED')) {
        this.options.onExpired?.({ cursor: this.lastCursor ?? formatCursor(0, 0), message: error.message });
        // Resume from the oldest event the log still holds, not from "now": whatever happened since the restart
        // (the terminal event of an operation this client started, say) is still delivered.
        const oldest = error.data.oldestCursor ? parseCursor(error.data.oldestCursor) : undefined;
        const since = oldest && oldest.seq > 0 ? formatCursor(oldest.generation, oldest.seq - 1) : undefined;
        let resumeFrom = since;
        result = await connection.call('events.subscribe', since ? { since } : {}).catch((retry: unknown) => {
          // Rotated again in between: take what comes next.
          if (!since || !isPackerError(retry, 'CURSOR_EXPIRED')) throw retry;
          resumeFrom = undefined;
          return connection.call('events.subscribe', {});
        });
        this.lastCursor = resumeFrom ?? result.cursor;
      } else {
        throw error;
      }
    }
    this.subscriptionId = result.subscriptionId;
    // Replayed events come after `since`; resuming before the first of them arrives starts there again.
    if (this.lastCursor === undefined) this.lastCursor = result.since;
    if (this.lastGeneration !== undefined && result.generation !== this.lastGeneration)
      this.options.onRestart?.({ generation: result.generation });
    this.lastGeneration = result.generation;
    ready = true;
    // Other subscriptions on this connection kept streaming while we waited: only our own events are ours.
    for (const item of buffered) if (item.subscriptionId === this.subscriptionId) deliver(item.event);
  }

  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
  }

  async close(): Promise<void> {
    this.detach();
    this.owner.forget(this);
    const id = this.subscriptionId;
    this.subscriptionId = undefined;
    if (id && this.connection && !this.connection.closed)
      await this.connection.call('events.unsubscribe', { subscriptionId: id }).catch(() => undefined);
  }
}
