import {
  PackerError,
  toPackerError,
  type Actor,
  type EventInput,
  type EventPayload,
  type LifecycleEventType,
  type OperationInfo,
  type OperationKind,
} from '@packer/core/contract';
import {
  foldOperation,
  initialOperation,
  isOperationFinished,
  operationInfoOf,
  type OperationState,
} from '@packer/core/contract/runtime';
import { newOperationId } from '@packer/core';

/** What a running operation may do besides its work: report progress, notice cancellation. */
export interface OperationContext {
  readonly operationId: string;
  readonly signal: AbortSignal;
  progress(payload: EventPayload<'progress'>): void;
}

export interface LaneTask<T> {
  kind: OperationKind;
  summary: string;
  actor?: Actor | undefined;
  run(context: OperationContext): Promise<{ revisionAfter: number; result: T }>;
}

/** One lifecycle event as the lane makes it: the payload is the type's row of `EventPayloads`. */
export type LifecycleEventInput<T extends LifecycleEventType> = EventInput<T> & {
  operationId: string;
  sequence: number;
  time: string;
};

/** How the lane records an event: the daemon appends it to the persisted log, which assigns the cursor. */
export type EmitLifecycle = <T extends LifecycleEventType>(event: LifecycleEventInput<T>) => void;

interface Entry {
  /** The lane's own events folded by the contract's fold: what `list` and `get` report. */
  state: OperationState;
  actor: Actor | undefined;
  sequence: number;
  controller: AbortController;
  start(): void;
  cancelQueued(reason: string): void;
}

const HISTORY = 500;

/**
 * The single-writer queue of one project. Operations run one at a time, FIFO, each from `queued` through
 * `started` and `progress`* to exactly one of `completed`, `failed`, `cancelled`, with a per-operation sequence.
 */
export class OperationLane {
  private readonly queue: Entry[] = [];
  private readonly operations = new Map<string, Entry>();
  private running: Entry | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Set by `stop`: a stopping daemon takes no new work. */
  private stoppedBecause: string | undefined;

  constructor(
    private readonly emit: EmitLifecycle,
    private readonly currentRevision: () => number,
    /**
     * Told of every failure that is a bug (INTERNAL), with the original throw: clients get only its message, so the
     * daemon log is where its stack goes.
     */
    private readonly onInternalError?: (operationId: string, error: unknown) => void,
  ) {}

  /** Operations waiting or running. */
  get depth(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  get runningOperation(): string | null {
    return this.running?.state.operationId ?? null;
  }

  enqueue<T>(task: LaneTask<T>): { operationId: string; done: Promise<T> } {
    if (this.stoppedBecause !== undefined) {
      throw new PackerError(
        'SHUTTING_DOWN',
        `The packer daemon is stopping (${this.stoppedBecause}) and takes no new operations.`,
        {
          hint: 'Retry once a new daemon is up; clients that reconnect start one.',
        },
      );
    }
    const operationId = newOperationId();
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      state: initialOperation(operationId),
      actor: task.actor,
      sequence: 0,
      controller: new AbortController(),
      start: () => void this.execute(entry, task).then(resolve, reject),
      cancelQueued: (reason) => {
        this.record(entry, 'cancelled', { kind: task.kind, reason });
        reject(
          new PackerError('CANCELLED', `Operation ${operationId} was cancelled before it started: ${reason}.`, {
            operationId,
          }),
        );
      },
    };
    this.operations.set(operationId, entry);
    this.trimHistory();
    this.record(entry, 'queued', { kind: task.kind, laneDepth: this.depth + 1, summary: task.summary });
    this.queue.push(entry);
    this.pump();
    return { operationId, done };
  }

  /** Cancels a queued operation at once, or asks a running one to stop (it ends with its own terminal event). */
  cancel(operationId: string, reason = 'cancelled by request'): OperationInfo['state'] {
    const entry = this.operations.get(operationId);
    if (!entry) throw new PackerError('NOT_FOUND', `No operation has id ${operationId}.`, { operationId });
    const index = this.queue.indexOf(entry);
    if (index !== -1) {
      this.queue.splice(index, 1);
      entry.cancelQueued(reason);
    } else if (entry === this.running) {
      entry.controller.abort(new PackerError('CANCELLED', reason, { operationId }));
    }
    return infoOf(entry).state;
  }

  /** Cancels everything queued and the running operation; resolves when the lane is idle. */
  async stop(reason: string): Promise<void> {
    this.stoppedBecause ??= reason;
    for (const entry of this.queue.splice(0)) entry.cancelQueued(reason);
    if (this.running) {
      this.running.controller.abort(
        new PackerError('CANCELLED', reason, { operationId: this.running.state.operationId }),
      );
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  list(): OperationInfo[] {
    return [...this.operations.values()].map(infoOf);
  }

  get(operationId: string): OperationInfo {
    const entry = this.operations.get(operationId);
    if (!entry) throw new PackerError('NOT_FOUND', `No operation has id ${operationId}.`, { operationId });
    return infoOf(entry);
  }

  private pump(): void {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      return;
    }
    this.running = next;
    const { start } = next;
    // The history keeps an entry's state, not the task it ran: its closures held an applied add's preview (100k).
    next.start = next.cancelQueued = () => undefined;
    start();
  }

  private async execute<T>(entry: Entry, task: LaneTask<T>): Promise<T> {
    this.record(entry, 'started', { kind: task.kind, baseRevision: this.currentRevision() });
    const context: OperationContext = {
      operationId: entry.state.operationId,
      signal: entry.controller.signal,
      progress: (payload) => {
        if (entry.state.status !== 'running') return;
        this.record(entry, 'progress', payload);
      },
    };
    try {
      const { revisionAfter, result } = await task.run(context);
      this.record(entry, 'completed', { kind: task.kind, revisionAfter, result });
      return result;
    } catch (error) {
      const packerError = toPackerError(error);
      if (packerError.code === 'INTERNAL') this.onInternalError?.(entry.state.operationId, packerError.cause ?? error);
      if (packerError.code === 'CANCELLED')
        this.record(entry, 'cancelled', { kind: task.kind, reason: packerError.message });
      else this.record(entry, 'failed', { kind: task.kind, error: packerError.toJSON() });
      throw packerError;
    } finally {
      this.running = undefined;
      this.pump();
    }
  }

  /** Emits the event, and folds it into the entry's state with the same fold every client uses. */
  private record<T extends LifecycleEventType>(entry: Entry, type: T, payload: EventPayload<T>): void {
    entry.sequence += 1;
    const event: LifecycleEventInput<T> = {
      type,
      operationId: entry.state.operationId,
      sequence: entry.sequence,
      time: new Date().toISOString(),
      payload,
    };
    entry.state = foldOperation(entry.state, event);
    this.emit(event);
  }

  private trimHistory(): void {
    if (this.operations.size <= HISTORY) return;
    for (const [id, entry] of this.operations) {
      if (this.operations.size <= HISTORY) break;
      if (isOperationFinished(entry.state)) this.operations.delete(id);
    }
  }
}

function infoOf(entry: Entry): OperationInfo {
  // Every entry's first event is `queued`, which names the kind, so the fold always yields a row here.
  const info = operationInfoOf(entry.state)!;
  return entry.actor ? { ...info, actor: entry.actor } : info;
}
