import type { Cursor, EventEnvelope, EventPayload, OperationInfo, OperationKind } from '@packer/core/contract';
import { foldOperations, operationFromInfo, type OperationState } from '@packer/core/contract/runtime';

export type ActivityStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** How an operation ended, taken from its terminal event and nothing else. */
export type ActivityOutcome =
  | { type: 'completed'; revisionAfter: number; result: unknown }
  | { type: 'failed'; error: EventPayload<'failed'>['error'] }
  | { type: 'cancelled'; reason: string };

/** The latest progress the packer reported for an operation. */
export interface ActivityProgress {
  done: number;
  total?: number;
  /** done / total, when the total is known. */
  fraction?: number;
  bytes?: number;
  current?: string;
  counts?: Record<string, number>;
}

/** One row per operation. */
export interface ActivityRow {
  operationId: string;
  kind?: OperationKind;
  /** The packer's one-line description (from `queued`). */
  summary?: string;
  /** `completed`, `failed` or `cancelled` only once the terminal event arrived; until then `queued` or `running`. */
  status: ActivityStatus;
  progress?: ActivityProgress;
  outcome?: ActivityOutcome;
  queuedAt?: string;
  startedAt?: string;
  endedAt?: string;
  /** Highest per-operation sequence applied; older or repeated events are ignored. */
  lastSequence: number;
  lastCursor?: Cursor;
  /** The contract's folded state this row shows (warnings, base revision, raw progress). */
  operation: OperationState;
}

export interface ActivityFeed {
  /** In order of first appearance (oldest first). */
  rows: readonly ActivityRow[];
}

export const EMPTY_ACTIVITY: ActivityFeed = { rows: [] };

/** Finished rows kept by default; running and queued rows are never dropped. */
export const DEFAULT_ACTIVITY_LIMIT = 200;

const TERMINAL = new Set<ActivityStatus>(['completed', 'failed', 'cancelled']);

/** True once the packer's terminal event for the operation arrived. */
export function isFinished(row: ActivityRow): boolean {
  return TERMINAL.has(row.status);
}

/**
 * Folds one packer event into the feed (pure: returns a new feed, or the same one when nothing changed), through
 * the contract's `foldOperations`: progress comes from `progress` events; the outcome only from the terminal event,
 * which is final; stale and repeated sequences are dropped; the oldest finished rows past `limit` go.
 */
export function reduceActivity(feed: ActivityFeed, event: EventEnvelope, limit = DEFAULT_ACTIVITY_LIMIT): ActivityFeed {
  if (event.operationId === undefined) return feed;
  const before = new Map(feed.rows.map((row) => [row.operationId, row.operation]));
  const after = foldOperations(before, event, limit);
  return after === before ? feed : { rows: rowsOf(after, feed.rows) };
}

/**
 * Adds rows for operations the packer lists as queued or running that the feed has not seen (a Studio that
 * connects mid-build). Finished operations are not added: their outcome belongs to their terminal event.
 */
export function seedActivity(feed: ActivityFeed, operations: readonly OperationInfo[]): ActivityFeed {
  const known = new Set(feed.rows.map((row) => row.operationId));
  const added: ActivityRow[] = [];
  for (const operation of operations) {
    if (known.has(operation.operationId) || (operation.state !== 'queued' && operation.state !== 'running')) continue;
    added.push(rowOf(operationFromInfo({ ...operation, state: operation.state })));
  }
  return added.length === 0 ? feed : { rows: [...feed.rows, ...added] };
}

/** The rows for the folded operations, reusing each row whose operation did not change. */
function rowsOf(operations: ReadonlyMap<string, OperationState>, previous: readonly ActivityRow[]): ActivityRow[] {
  const reusable = new Map(previous.map((row) => [row.operation, row]));
  return [...operations.values()].map((operation) => reusable.get(operation) ?? rowOf(operation));
}

function rowOf(operation: OperationState): ActivityRow {
  const row: ActivityRow = {
    operationId: operation.operationId,
    status: operation.status === 'waiting' ? 'queued' : operation.status,
    lastSequence: operation.lastSequence,
    operation,
  };
  if (operation.kind !== undefined) row.kind = operation.kind;
  if (operation.summary !== undefined) row.summary = operation.summary;
  if (operation.progress !== undefined) row.progress = progressOf(operation.progress);
  if (operation.outcome !== undefined) row.outcome = outcomeOf(operation.outcome);
  if (operation.queuedAt !== undefined) row.queuedAt = operation.queuedAt;
  if (operation.startedAt !== undefined) row.startedAt = operation.startedAt;
  if (operation.endedAt !== undefined) row.endedAt = operation.endedAt;
  if (operation.lastCursor !== undefined) row.lastCursor = operation.lastCursor;
  return row;
}

function outcomeOf(outcome: NonNullable<OperationState['outcome']>): ActivityOutcome {
  switch (outcome.type) {
    case 'completed':
      return { type: 'completed', revisionAfter: outcome.revisionAfter, result: outcome.result };
    case 'failed':
      return { type: 'failed', error: outcome.error };
    case 'cancelled':
      return { type: 'cancelled', reason: outcome.reason };
  }
}

function progressOf(payload: NonNullable<OperationState['progress']>): ActivityProgress {
  return {
    done: payload.done,
    ...(payload.total !== undefined
      ? { total: payload.total, ...(payload.total > 0 ? { fraction: payload.done / payload.total } : {}) }
      : {}),
    ...(payload.bytes !== undefined ? { bytes: payload.bytes } : {}),
    ...(payload.current !== undefined ? { current: payload.current } : {}),
    ...(payload.counts !== undefined ? { counts: payload.counts } : {}),
  };
}
