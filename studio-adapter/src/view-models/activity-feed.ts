import type { Cursor, EventEnvelope, EventPayload, OperationInfo, OperationKind } from '@packer/core/contract';

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
 * Folds one packer event into the feed (pure: returns a new feed, or the same one when nothing changed).
 * Progress comes from `progress` events; the outcome only from the terminal event, which is final.
 */
export function reduceActivity(feed: ActivityFeed, event: EventEnvelope, limit = DEFAULT_ACTIVITY_LIMIT): ActivityFeed {
  const { operationId } = event;
  if (operationId === undefined) return feed;
  const index = feed.rows.findIndex((row) => row.operationId === operationId);
  const existing = index === -1 ? undefined : feed.rows[index]!;
  if (existing && isFinished(existing)) return feed;
  if (existing && event.sequence !== undefined && event.sequence <= existing.lastSequence) return feed;
  const base: ActivityRow = existing ?? { operationId, status: 'queued', lastSequence: 0 };
  const next = applyEvent(base, event);
  if (next === undefined) return feed;
  const rows = index === -1 ? [...feed.rows, next] : feed.rows.map((row, at) => (at === index ? next : row));
  return { rows: trim(rows, limit) };
}

function applyEvent(row: ActivityRow, event: EventEnvelope): ActivityRow | undefined {
  const stamp = { lastSequence: event.sequence ?? row.lastSequence, lastCursor: event.cursor };
  switch (event.type) {
    case 'queued': {
      const payload = event.payload as EventPayload<'queued'>;
      return { ...row, ...stamp, kind: payload.kind, summary: payload.summary, status: row.status === 'queued' ? 'queued' : row.status, queuedAt: event.time };
    }
    case 'started': {
      const payload = event.payload as EventPayload<'started'>;
      return { ...row, ...stamp, kind: payload.kind, status: 'running', startedAt: event.time };
    }
    case 'progress':
      return { ...row, ...stamp, status: 'running', progress: progressOf(event.payload as EventPayload<'progress'>) };
    case 'completed': {
      const payload = event.payload as EventPayload<'completed'>;
      return { ...row, ...stamp, kind: payload.kind, status: 'completed', endedAt: event.time, outcome: { type: 'completed', revisionAfter: payload.revisionAfter, result: payload.result } };
    }
    case 'failed': {
      const payload = event.payload as EventPayload<'failed'>;
      return { ...row, ...stamp, kind: payload.kind, status: 'failed', endedAt: event.time, outcome: { type: 'failed', error: payload.error } };
    }
    case 'cancelled': {
      const payload = event.payload as EventPayload<'cancelled'>;
      return { ...row, ...stamp, kind: payload.kind, status: 'cancelled', endedAt: event.time, outcome: { type: 'cancelled', reason: payload.reason } };
    }
    default:
      return undefined;
  }
}

function progressOf(payload: EventPayload<'progress'>): ActivityProgress {
  return {
    done: payload.done,
    ...(payload.total !== undefined ? { total: payload.total, ...(payload.total > 0 ? { fraction: payload.done / payload.total } : {}) } : {}),
    ...(payload.bytes !== undefined ? { bytes: payload.bytes } : {}),
    ...(payload.current !== undefined ? { current: payload.current } : {}),
    ...(payload.counts !== undefined ? { counts: payload.counts } : {}),
  };
}

/**
 * Adds rows for operations the packer lists as queued or running that the feed has not seen (a Studio that
 * connects mid-build). Finished operations are not added: their outcome belongs to their terminal event.
 */
export function seedActivity(feed: ActivityFeed, operations: readonly OperationInfo[]): ActivityFeed {
  const known = new Set(feed.rows.map((row) => row.operationId));
  const added: ActivityRow[] = operations
    .filter((operation) => (operation.state === 'queued' || operation.state === 'running') && !known.has(operation.operationId))
    .map((operation) => ({
      operationId: operation.operationId,
      kind: operation.kind,
      summary: operation.summary,
      status: operation.state === 'running' ? 'running' : 'queued',
      queuedAt: operation.queuedAt,
      ...(operation.startedAt !== undefined ? { startedAt: operation.startedAt } : {}),
      ...(operation.progress !== undefined ? { progress: progressOf(operation.progress) } : {}),
      lastSequence: 0,
    }));
  return added.length === 0 ? feed : { rows: [...feed.rows, ...added] };
}

/** Drops the oldest finished rows past the limit. */
function trim(rows: ActivityRow[], limit: number): ActivityRow[] {
  let finished = rows.filter(isFinished).length;
  if (finished <= limit) return rows;
  return rows.filter((row) => !(isFinished(row) && finished-- > limit));
}
