import { PackerError, toPackerError, type Actor, type EventEnvelope, type EventPayload, type OperationInfo, type OperationKind } from '@packer/core/contract';
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

/** How the lane records an event: the daemon appends it to the persisted log, which assigns the cursor. */
export type EmitLifecycle = (event: { type: EventEnvelope['type']; operationId: string; sequence: number; payload: unknown }) => void;

interface Entry {
  info: OperationInfo;
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

  constructor(private readonly emit: EmitLifecycle, private readonly currentRevision: () => number) {}

  /** Operations waiting or running. */
  get depth(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  get runningOperation(): string | null {
    return this.running?.info.operationId ?? null;
  }

  enqueue<T>(task: LaneTask<T>): { operationId: string; done: Promise<T> } {
    if (this.stoppedBecause !== undefined) {
      throw new PackerError('SHUTTING_DOWN', `The packer daemon is stopping (${this.stoppedBecause}) and takes no new operations.`, {
        hint: 'Retry once a new daemon is up; clients that reconnect start one.',
      });
    }
    const operationId = newOperationId();
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const info: OperationInfo = { operationId, kind: task.kind, state: 'queued', summary: task.summary, queuedAt: new Date().toISOString() };
    if (task.actor) info.actor = task.actor;
    const entry: Entry = {
      info,
      sequence: 0,
      controller: new AbortController(),
      start: () => void this.execute(entry, task).then(resolve, reject),
      cancelQueued: (reason) => {
        this.finish(entry, 'cancelled', { kind: task.kind, reason });
        reject(new PackerError('CANCELLED', `Operation ${operationId} was cancelled before it started: ${reason}.`, { operationId }));
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
    return entry.info.state;
  }

  /** Cancels everything queued and the running operation; resolves when the lane is idle. */
  async stop(reason: string): Promise<void> {
    this.stoppedBecause ??= reason;
    for (const entry of this.queue.splice(0)) entry.cancelQueued(reason);
    if (this.running) {
      this.running.controller.abort(new PackerError('CANCELLED', reason, { operationId: this.running.info.operationId }));
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  list(): OperationInfo[] {
    return [...this.operations.values()].map((entry) => ({ ...entry.info }));
  }

  get(operationId: string): OperationInfo {
    const entry = this.operations.get(operationId);
    if (!entry) throw new PackerError('NOT_FOUND', `No operation has id ${operationId}.`, { operationId });
    return { ...entry.info };
  }

  private pump(): void {
    if (this.running) return;
    const next = this.queue.shift();
    if (!next) {
      for (const waiter of this.idleWaiters.splice(0)) waiter();
      return;
    }
    this.running = next;
    next.start();
  }

  private async execute<T>(entry: Entry, task: LaneTask<T>): Promise<T> {
    const { info } = entry;
    info.state = 'running';
    info.startedAt = new Date().toISOString();
    this.record(entry, 'started', { kind: task.kind, baseRevision: this.currentRevision() });
    const context: OperationContext = {
      operationId: info.operationId,
      signal: entry.controller.signal,
      progress: (payload) => {
        if (info.state !== 'running') return;
        info.progress = { done: payload.done, ...(payload.total !== undefined ? { total: payload.total } : {}), ...(payload.current ? { current: payload.current } : {}) };
        this.record(entry, 'progress', payload);
      },
    };
    try {
      const { revisionAfter, result } = await task.run(context);
      this.finish(entry, 'completed', { kind: task.kind, revisionAfter, result });
      return result;
    } catch (error) {
      const packerError = toPackerError(error);
      if (packerError.code === 'CANCELLED') this.finish(entry, 'cancelled', { kind: task.kind, reason: packerError.message });
      else this.finish(entry, 'failed', { kind: task.kind, error: packerError.toJSON() });
      throw packerError;
    } finally {
      this.running = undefined;
      this.pump();
    }
  }

  private finish(entry: Entry, state: 'completed' | 'failed' | 'cancelled', payload: unknown): void {
    entry.info.state = state;
    entry.info.endedAt = new Date().toISOString();
    if (state === 'failed') {
      const error = (payload as { error: { code: string; message: string } }).error;
      entry.info.error = { code: error.code, message: error.message };
    }
    this.record(entry, state, payload);
  }

  private record(entry: Entry, type: EventEnvelope['type'], payload: unknown): void {
    entry.sequence += 1;
    this.emit({ type, operationId: entry.info.operationId, sequence: entry.sequence, payload });
  }

  private trimHistory(): void {
    if (this.operations.size <= HISTORY) return;
    for (const [id, entry] of this.operations) {
      if (this.operations.size <= HISTORY) break;
      if (entry.info.state !== 'queued' && entry.info.state !== 'running') this.operations.delete(id);
    }
  }
}
