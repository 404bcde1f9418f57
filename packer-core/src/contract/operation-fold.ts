// One fold from lifecycle events to operation state, shared by the daemon's lane, the CLI and the Studio adapter.
// Zod-free (type imports only), so it travels in `@packer/core/contract/runtime`.
import type { Diagnostic } from './diagnostics.js';
import type {
  AnyTypedEvent,
  Cursor,
  EventEnvelope,
  EventPayload,
  EventType,
  LifecycleEventType,
  OperationKind,
  TerminalEventType,
  TypedEvent,
} from './events.js';
import type { OperationInfo } from './methods.js';

/** `waiting`: the operation id is known but none of its events arrived yet. The last three only from a terminal
 * event. */
export type OperationStatus = 'waiting' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** How an operation ended: its terminal event's payload, tagged with the event type. */
export type OperationOutcome = { [T in TerminalEventType]: { type: T } & EventPayload<T> }[TerminalEventType];

/** What the packer has said about one operation so far: a translation of its events, nothing inferred. */
export interface OperationState {
  readonly operationId: string;
  readonly status: OperationStatus;
  readonly kind?: OperationKind;
  /** The packer's one-line description (from `queued`). */
  readonly summary?: string;
  /** The revision the operation started from (from `started`). */
  readonly baseRevision?: number;
  /** The latest progress payload: coalesced progress skips values, and the newest one wins. */
  readonly progress?: EventPayload<'progress'>;
  /** Progress events folded in (coalescing makes this lower than `progress.done`). */
  readonly progressEvents: number;
  /** Warnings raised so far: each progress event carries the whole list, so the latest list replaces the last. */
  readonly warnings: readonly Diagnostic[];
  /** Set by the terminal event and by nothing else. */
  readonly outcome?: OperationOutcome;
  readonly queuedAt?: string;
  readonly startedAt?: string;
  readonly lastProgressAt?: string;
  readonly endedAt?: string;
  /** Highest per-operation sequence folded in; an event at or below it (a replay, a duplicate) changes nothing. */
  readonly lastSequence: number;
  readonly lastCursor?: Cursor;
}

/** What the fold reads of an event: an envelope, or an event the lane is about to publish (no cursor yet). */
export type FoldableEvent = Omit<EventEnvelope, 'cursor'> & { cursor?: Cursor };
type TypedFoldableEvent = { [T in EventType]: Omit<TypedEvent<T>, 'cursor'> & { cursor?: Cursor } }[EventType];

/** Operations kept by `foldOperations` once finished; queued and running ones are never dropped. */
export const DEFAULT_OPERATION_HISTORY = 200;

const LIFECYCLE: ReadonlySet<string> = new Set<LifecycleEventType>([
  'queued',
  'started',
  'progress',
  'completed',
  'failed',
  'cancelled',
]);

/** Before any event of the operation. */
export function initialOperation(operationId: string): OperationState {
  return { operationId, status: 'waiting', progressEvents: 0, warnings: [], lastSequence: 0 };
}

/** True once the operation's terminal event was folded in. */
export function isOperationFinished(state: OperationState): boolean {
  return state.outcome !== undefined;
}

/**
 * The payload typed by the event's `type`. Trusts the sender: the daemon types every payload where it makes the
 * event (`EventInput`), and this is the one place a consumer's envelope is narrowed.
 */
export function asTypedEvent(event: EventEnvelope): AnyTypedEvent;
export function asTypedEvent(event: FoldableEvent): TypedFoldableEvent;
export function asTypedEvent(event: FoldableEvent): TypedFoldableEvent {
  return event as TypedFoldableEvent;
}

/**
 * Folds one event into an operation's state (pure: returns a new state, or the same one when nothing changed).
 * Ignored: events of other operations, state events, events at or below the last sequence (stale or repeated),
 * and anything after the terminal event, which is final.
 */
export function foldOperation(state: OperationState, event: FoldableEvent): OperationState {
  if (event.operationId !== state.operationId || !LIFECYCLE.has(event.type) || isOperationFinished(state)) return state;
  if (event.sequence !== undefined && event.sequence <= state.lastSequence) return state;
  const stamp = {
    lastSequence: event.sequence ?? state.lastSequence,
    ...(event.cursor !== undefined ? { lastCursor: event.cursor } : {}),
  };
  const typed = asTypedEvent(event);
  switch (typed.type) {
    case 'queued':
      return {
        ...state,
        ...stamp,
        status: state.status === 'waiting' ? 'queued' : state.status,
        kind: typed.payload.kind,
        summary: typed.payload.summary,
        queuedAt: typed.time,
      };
    case 'started':
      return {
        ...state,
        ...stamp,
        status: 'running',
        kind: typed.payload.kind,
        baseRevision: typed.payload.baseRevision,
        startedAt: typed.time,
      };
    case 'progress':
      return {
        ...state,
        ...stamp,
        status: 'running',
        progress: typed.payload,
        progressEvents: state.progressEvents + 1,
        warnings: typed.payload.warnings ?? state.warnings,
        lastProgressAt: typed.time,
      };
    case 'completed':
      return {
        ...state,
        ...stamp,
        status: 'completed',
        kind: typed.payload.kind,
        endedAt: typed.time,
        outcome: { type: 'completed', ...typed.payload },
      };
    case 'failed':
      return {
        ...state,
        ...stamp,
        status: 'failed',
        kind: typed.payload.kind,
        endedAt: typed.time,
        outcome: { type: 'failed', ...typed.payload },
      };
    case 'cancelled':
      return {
        ...state,
        ...stamp,
        status: 'cancelled',
        kind: typed.payload.kind,
        endedAt: typed.time,
        outcome: { type: 'cancelled', ...typed.payload },
      };
    default:
      return state;
  }
}

/**
 * Folds one event into a map of operations keyed by id, in order of first appearance (pure: a new map, or the
 * same one when nothing changed). Past `limit` finished operations, the oldest finished ones are dropped.
 */
export function foldOperations(
  operations: ReadonlyMap<string, OperationState>,
  event: FoldableEvent,
  limit = DEFAULT_OPERATION_HISTORY,
): ReadonlyMap<string, OperationState> {
  const { operationId } = event;
  if (operationId === undefined) return operations;
  const current = operations.get(operationId) ?? initialOperation(operationId);
  const next = foldOperation(current, event);
  if (next === current) return operations;
  // `set` on a known key keeps its place, so the map stays in order of first appearance.
  const copy = new Map(operations).set(operationId, next);
  return isOperationFinished(next) ? trimFinished(copy, limit) : copy;
}

function trimFinished(operations: Map<string, OperationState>, limit: number): Map<string, OperationState> {
  let finished = 0;
  for (const state of operations.values()) if (isOperationFinished(state)) finished += 1;
  for (const [id, state] of operations) {
    if (finished <= limit) break;
    if (!isOperationFinished(state)) continue;
    operations.delete(id);
    finished -= 1;
  }
  return operations;
}

/**
 * State for a queued or running operation the packer listed (`operations.list`) before its events arrived, e.g. a
 * client that connects mid-build. Finished ones have no state here: an outcome comes only from a terminal event.
 */
export function operationFromInfo(info: OperationInfo & { state: 'queued' | 'running' }): OperationState {
  return {
    operationId: info.operationId,
    status: info.state === 'queued' ? 'queued' : 'running',
    kind: info.kind,
    summary: info.summary,
    queuedAt: info.queuedAt,
    ...(info.startedAt !== undefined ? { startedAt: info.startedAt } : {}),
    ...(info.progress !== undefined ? { progress: info.progress } : {}),
    progressEvents: 0,
    warnings: [],
    lastSequence: 0,
  };
}

/** The `operations.list` row for a state; undefined until an event said what kind of operation it is. */
export function operationInfoOf(state: OperationState): OperationInfo | undefined {
  if (state.kind === undefined) return undefined;
  const info: OperationInfo = {
    operationId: state.operationId,
    kind: state.kind,
    state: state.status === 'waiting' ? 'queued' : state.status,
    summary: state.summary ?? '',
    queuedAt: state.queuedAt ?? state.startedAt ?? state.endedAt ?? '',
  };
  if (state.startedAt !== undefined) info.startedAt = state.startedAt;
  if (state.endedAt !== undefined) info.endedAt = state.endedAt;
  if (state.progress !== undefined) {
    const { done, total, current } = state.progress;
    info.progress = { done, ...(total !== undefined ? { total } : {}), ...(current !== undefined ? { current } : {}) };
  }
  if (state.outcome?.type === 'failed')
    info.error = { code: state.outcome.error.code, message: state.outcome.error.message };
  return info;
}
