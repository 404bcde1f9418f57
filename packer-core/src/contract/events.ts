import { z } from 'zod';
import type { PackerErrorJSON } from './errors.js';
import { Diagnostic } from './diagnostics.js';
import { RemoteCacheStats } from './build-schema.js';

/**
 * An event cursor: `"<generation>.<seq>"`. `seq` is global to the project's event log, monotonic and
 * gap-free across daemon restarts; `generation` counts daemon starts, so a client can tell a restarted
 * daemon from a quiet one.
 */
export const Cursor = z.string().regex(/^\d+\.\d+$/, 'a cursor looks like "<generation>.<seq>", e.g. "3.120"');
export type Cursor = z.infer<typeof Cursor>;

export { formatCursor, parseCursor } from './runtime-constants.js';

/** Every event type, as one table. Lifecycle types carry an `operationId` and `sequence`. */
export const EventTypes = {
  QUEUED: 'queued',
  STARTED: 'started',
  PROGRESS: 'progress',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  SNAPSHOT_CHANGED: 'snapshot.changed',
  DIVERGENCE_DETECTED: 'divergence.detected',
  DIVERGENCE_RESOLVED: 'divergence.resolved',
  CONFIG_INVALID: 'config.invalid',
  CONFIG_RELOADED: 'config.reloaded',
  WATCHER_DEGRADED: 'watcher.degraded',
  WATCHER_RECOVERED: 'watcher.recovered',
  DAEMON_STARTED: 'daemon.started',
  DAEMON_STOPPING: 'daemon.stopping',
} as const;
export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

/** Terminal lifecycle types: exactly one ends every operation, and none is ever coalesced away. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<EventType> = new Set(['completed', 'failed', 'cancelled']);
/** Lifecycle types: never dropped for a slow subscriber. Only `progress` may be coalesced. */
export const LIFECYCLE_EVENT_TYPES: ReadonlySet<EventType> = new Set([
  'queued',
  'started',
  'completed',
  'failed',
  'cancelled',
]);

/** The kind of work an operation does. */
export const OperationKind = z.enum(['register', 'move', 'remove', 'update', 'reconcile', 'relink', 'build']);
export type OperationKind = z.infer<typeof OperationKind>;

// The shape zod checks; the type is the error table's (`PackerError.toJSON()`, what the daemon sends), so `code`
// narrows `data`.
const ErrorPayload = z.object({
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
}) as unknown as z.ZodType<PackerErrorJSON>;

/** Payload per event type. */
export const EventPayloads = {
  queued: z.object({ kind: OperationKind, laneDepth: z.number().int(), summary: z.string() }),
  started: z.object({ kind: OperationKind, baseRevision: z.number().int() }),
  progress: z.object({
    /** Items done so far, and the total when known. */
    done: z.number().int(),
    total: z.number().int().optional(),
    bytes: z.number().int().optional(),
    /** What is being worked on now (a path, usually). */
    current: z.string().optional(),
    /** Per-item outcome counts, e.g. { processed, cached, failed } for builds. */
    counts: z.record(z.string(), z.number().int()).optional(),
    /**
     * Warnings and failures raised so far in this operation (cumulative, at most 100): a subscriber whose
     * progress events were coalesced still sees every one in the latest event.
     */
    warnings: z.array(Diagnostic).optional(),
    /** A build's remote cache use so far (hits, misses, uploads, bytes), when a remote cache is configured. */
    remote: RemoteCacheStats.optional(),
  }),
  completed: z.object({ kind: OperationKind, revisionAfter: z.number().int(), result: z.unknown() }),
  failed: z.object({ kind: OperationKind, error: ErrorPayload }),
  cancelled: z.object({ kind: OperationKind, reason: z.string() }),
  'snapshot.changed': z.object({ revision: z.number().int(), previousRevision: z.number().int(), cause: z.string() }),
  'divergence.detected': z.object({ revision: z.number().int(), count: z.number().int(), added: z.array(z.unknown()) }),
  'divergence.resolved': z.object({
    revision: z.number().int(),
    count: z.number().int(),
    resolved: z.array(z.unknown()),
  }),
  'config.invalid': z.object({ error: ErrorPayload }),
  'config.reloaded': z.object({ revision: z.number().int() }),
  'watcher.degraded': z.object({ backend: z.string(), reason: z.string(), hint: z.string().optional() }),
  'watcher.recovered': z.object({ backend: z.string() }),
  'daemon.started': z.object({ pid: z.number().int(), generation: z.number().int(), version: z.string() }),
  'daemon.stopping': z.object({ reason: z.string() }),
} as const satisfies Record<EventType, z.ZodType>;

export type EventPayload<T extends EventType> = z.infer<(typeof EventPayloads)[T]>;

/** The envelope every event travels in. */
export const EventEnvelope = z.object({
  cursor: Cursor,
  type: z.enum(Object.values(EventTypes) as [EventType, ...EventType[]]),
  /** ISO time the event was recorded. */
  time: z.string(),
  /** Set on lifecycle events. */
  operationId: z.string().optional(),
  /** Monotonic within one operation, from 1. */
  sequence: z.number().int().positive().optional(),
  payload: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** A typed view of an envelope for one event type. */
export type TypedEvent<T extends EventType> = Omit<EventEnvelope, 'type' | 'payload'> & {
  type: T;
  payload: EventPayload<T>;
};

/** Any envelope with its payload typed by its `type`: switch on `type` and the payload narrows. */
export type AnyTypedEvent = { [T in EventType]: TypedEvent<T> }[EventType];

/** Types that belong to one operation (they carry `operationId` and `sequence`). */
export type LifecycleEventType = 'queued' | 'started' | 'progress' | 'completed' | 'failed' | 'cancelled';
/** Types that end an operation. */
export type TerminalEventType = 'completed' | 'failed' | 'cancelled';
/** Types about the project or the daemon, with no operation. */
export type StateEventType = Exclude<EventType, LifecycleEventType>;

/**
 * What a producer hands to the event log: the payload is checked against the type's row of `EventPayloads` where
 * the event is made. The log assigns the cursor, and the time unless one is given.
 */
export type EventInput<T extends EventType = EventType> = Omit<
  EventEnvelope,
  'cursor' | 'time' | 'type' | 'payload'
> & {
  type: T;
  payload: EventPayload<T>;
  time?: string;
};
