import { z } from 'zod';
import { Diagnostic, Severity } from './diagnostics.js';
import { Cursor, EventEnvelope, OperationKind } from './events.js';
import {
  ApplyOptions,
  ApplySummary,
  AuditRecord,
  Mutation,
  PlanItem,
  PlanList,
  PlanSummary,
} from './mutation-schema.js';
import {
  AssetView,
  DivergenceEntry,
  Observation,
  PackBuildInfo,
  RegistryState,
  Snapshot,
  SnapshotSummary,
} from './snapshot-schema.js';
import {
  BuildParams,
  BuildPlanView,
  BuildReport,
  CacheStats,
  PackEntryInfo,
  PackInfo,
  VerifyResult,
} from './build-schema.js';

import { AUDIT_RECORD_ITEMS, PAGE_SIZES } from './runtime-constants.js';

export {
  PROTOCOL_VERSION,
  MAX_FRAME_BYTES,
  PAGE_SIZES,
  PLAN_SUMMARY_LIMITS,
  AUDIT_RECORD_ITEMS,
} from './runtime-constants.js';

/** Read options shared by every snapshot read. */
const SyncRead = z.object({
  /**
   * Answer only after the daemon has seen every change made to the disk before this request
   * (read-your-writes: the daemon writes a cookie file into each watched root and waits for its event).
   */
  sync: z.boolean().optional(),
});

/** An untracked file in an asset listing. */
export const UntrackedItem = z.object({
  path: z.string(),
  kind: z.string(),
  status: z.literal('untracked'),
  observation: Observation,
});
export const AssetListItem = z.union([AssetView, UntrackedItem]);
export type AssetListItem = z.infer<typeof AssetListItem>;

/** What the daemon knows of one operation. */
export const OperationInfo = z.object({
  operationId: z.string(),
  kind: OperationKind,
  state: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  /** One line for people, e.g. "move assets/a.png → assets/b.png". */
  summary: z.string(),
  queuedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** The latest progress payload. */
  progress: z
    .object({ done: z.number().int(), total: z.number().int().optional(), current: z.string().optional() })
    .optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  actor: z.object({ client: z.string(), pid: z.number().int().optional(), user: z.string().optional() }).optional(),
});
export type OperationInfo = z.infer<typeof OperationInfo>;

/** The watcher's state, as health reports it. */
export const WatcherState = z.object({
  backend: z.string(),
  state: z.enum(['starting', 'ok', 'degraded', 'off']),
  reason: z.string().optional(),
  hint: z.string().optional(),
});

/** A file under `.packer/` the daemon cannot write (a full disk, say): what it holds back and since when. */
export const StorageWarning = z.object({
  /** What the file is for: `event-log`, `digest-cache`, `audit-log`, `idempotency`, `daemon-log`, `revision` or
   * `background`. */
  store: z.string(),
  /** The file that could not be written. */
  path: z.string(),
  /** The system error, e.g. `ENOSPC`. */
  errno: z.string().optional(),
  message: z.string(),
  /** When the writes began to fail (ISO time). */
  since: z.string(),
  /** Records kept in memory until the file takes them again. */
  pending: z.number().int().optional(),
  /** Records given up on since the trouble began. */
  dropped: z.number().int().optional(),
});
export type StorageWarning = z.infer<typeof StorageWarning>;

/** How external tools are isolated, as health reports it. */
export const ToolSandboxState = z.object({
  /** `bubblewrap`: tools run in it (no network, no other process, only their input and output folder); `none`: only
   * with a scrubbed environment. */
  backend: z.enum(['bubblewrap', 'none']),
  /** bubblewrap's version, when it is used. */
  version: z.string().optional(),
  /** Names the missing sandbox and the tools running without one; absent when every tool is sandboxed. */
  warning: z.string().optional(),
  hint: z.string().optional(),
});
export type ToolSandboxState = z.infer<typeof ToolSandboxState>;

/** The remote cache as health reports it (`remoteCache` in packer.json); never carries credentials. */
export const RemoteCacheHealth = z.object({
  /** The cache's URL, credentials removed. */
  url: z.string(),
  mode: z.enum(['read-write', 'read-only']),
  /** `unused`: no build asked it yet; `ok`: the last request went through; `degraded`: the last one failed; `paused`:
   * the breaker holds requests back. */
  state: z.enum(['unused', 'ok', 'degraded', 'paused']),
  /** The last problem (redacted), while not `ok`: the `remote-cache` warning. */
  warning: z.string().optional(),
  hint: z.string().optional(),
  /** When the trouble began (ISO time). */
  since: z.string().optional(),
  /** While `paused`: when requests resume (ISO time). */
  pausedUntil: z.string().optional(),
});
export type RemoteCacheHealth = z.infer<typeof RemoteCacheHealth>;

/** `limit` and `page` of a paged list method: `limit` defaults to and is capped by PAGE_SIZES[method]. */
function paging(sizes: { default: number; max: number }) {
  return {
    limit: z.number().int().min(1).max(sizes.max).default(sizes.default),
    /** Opaque token from a previous page's `nextPage`. */
    page: z.string().optional(),
  };
}

function method<P extends z.ZodType, R extends z.ZodType>(params: P, result: R, description: string) {
  return { params, result, description };
}

/**
 * Every JSON-RPC method: params and result schemas, side by side. The daemon validates with these; the
 * client library, the CLI and the Studio adapter import the same table.
 */
export const Methods = {
  'daemon.hello': method(
    z.object({
      /** Name of the client (`cli`, `studio`, …), copied into every audit record of this connection: at most 128
       * characters. */
      client: z.string().min(1).max(128),
      protocolVersion: z.number().int(),
      pid: z.number().int().optional(),
    }),
    z.object({
      protocolVersion: z.number().int(),
      daemonVersion: z.string(),
      projectRoot: z.string(),
      projectName: z.string(),
      pid: z.number().int(),
      generation: z.number().int(),
      /** The newest event cursor: subscribe with it to follow only what happens next. */
      cursor: Cursor,
      startedAt: z.string(),
    }),
    'Introduce the client; compare protocol versions. Call first on every connection.',
  ),
  'daemon.health': method(
    z.object({}),
    z.object({
      live: z.boolean(),
      /** Initial scan and journal recovery are done. */
      ready: z.boolean(),
      revision: z.number().int(),
      laneDepth: z.number().int(),
      runningOperation: z.string().nullable(),
      watcher: WatcherState,
      /** The sandbox external tools run in, with a warning when they run without one. */
      toolSandbox: ToolSandboxState,
      uptimeMs: z.number().int(),
      pid: z.number().int(),
      generation: z.number().int(),
      connections: z.number().int(),
      subscribers: z.number().int(),
      /** The loopback WebSocket listener, when it is on (its token is in `.packer/ws-token`, owner-only). */
      websocket: z.object({ url: z.string(), port: z.number().int() }).optional(),
      /**
       * The daemon's own files: `degraded` while some cannot be written (the daemon keeps serving, holds what it
       * can in memory and retries); the warnings clear once the writes go through. Always sent by this daemon.
       */
      storage: z.object({ state: z.enum(['ok', 'degraded']), warnings: z.array(StorageWarning) }).optional(),
      /** The remote cache, when `remoteCache` is configured: a `degraded` or `paused` state is the `remote-cache`
       * warning. */
      remoteCache: RemoteCacheHealth.optional(),
    }),
    'Liveness and readiness of the daemon.',
  ),
  'daemon.shutdown': method(
    z.object({ reason: z.string().optional() }),
    z.object({ stopping: z.literal(true) }),
    'Finish or cancel the running operation, flush logs, remove socket and lock, exit.',
  ),
  'snapshot.summary': method(
    SyncRead,
    z.object({
      revision: z.number().int(),
      projectName: z.string(),
      registryState: RegistryState,
      summary: SnapshotSummary,
      lastBuilds: z.array(PackBuildInfo),
    }),
    'Counts and state of the current snapshot, computed by the packer: its size does not grow with the project (lists are paged: assets.list, diagnostics.list, divergence.list).',
  ),
  'snapshot.get': method(
    SyncRead,
    Snapshot,
    'The whole current snapshot (one revision, never torn). Grows with the project: a big one is REPLY_TOO_LARGE; use snapshot.summary and the paged lists.',
  ),
  'assets.list': method(
    SyncRead.extend({
      kind: z.string().optional(),
      tag: z.string().optional(),
      /** Project-relative folder or path prefix. */
      pathPrefix: z.string().optional(),
      status: z.enum(['present', 'missing', 'untracked']).optional(),
      ...paging(PAGE_SIZES['assets.list']),
    }),
    z.object({
      revision: z.number().int(),
      total: z.number().int(),
      items: z.array(AssetListItem),
      nextPage: z.string().optional(),
    }),
    'Registered assets (and untracked files with status "untracked"), filtered and paged by the packer.',
  ),
  'assets.get': method(
    SyncRead.extend({ ref: z.string().min(1) }),
    z.object({ revision: z.number().int(), asset: AssetView, diagnostics: z.array(Diagnostic) }),
    'One asset by id or project-relative path.',
  ),
  'diagnostics.list': method(
    SyncRead.extend({
      severity: Severity.optional(),
      code: z.string().optional(),
      /** Only diagnostics involving this asset (as any of their subjects). */
      assetId: z.string().optional(),
      /**
       * Also run the build plan of every pack against the same snapshot, without writing, and include the blockers
       * and warnings a build would hit (DUPLICATE_OUTPUT, EMPTY_PACK, PROCESSOR_NOT_ALLOWED…); the counts then
       * include them. What `packer check` asks: no blocker here means a build will not be blocked.
       */
      preflight: z.boolean().optional(),
      ...paging(PAGE_SIZES['diagnostics.list']),
    }),
    z.object({
      revision: z.number().int(),
      /** Diagnostics matching the filters, in this page. */
      items: z.array(Diagnostic),
      /** How many match the filters, over all pages. */
      total: z.number().int(),
      nextPage: z.string().optional(),
      /** Counts over the whole snapshot (with `preflight`, the build plan's findings too), whatever the filters. */
      blockers: z.number().int(),
      warnings: z.number().int(),
      infos: z.number().int(),
    }),
    'Diagnostics of the current snapshot, filtered and paged by the packer.',
  ),
  'divergence.list': method(
    SyncRead.extend({ ...paging(PAGE_SIZES['divergence.list']) }),
    z.object({
      revision: z.number().int(),
      total: z.number().int(),
      items: z.array(DivergenceEntry),
      nextPage: z.string().optional(),
    }),
    'Divergence entries of the current snapshot (registry vs disk), paged by the packer.',
  ),
  'mutation.preview': method(
    SyncRead.extend({ mutation: Mutation }),
    PlanSummary,
    'The plan a mutation would apply, summarised (counts, the first items, blockers): the daemon keeps the whole ' +
      'plan under `planId` (page it with plan.items, apply it with mutation.apply). Changes nothing.',
  ),
  'plan.items': method(
    z.object({
      /** From mutation.preview (or an apply's result, or a CONFLICT's `data.plan`). */
      planId: z.string().min(1),
      /** Which list of the plan. */
      list: PlanList,
      ...paging(PAGE_SIZES['plan.items']),
    }),
    z.object({
      planId: z.string(),
      list: PlanList,
      total: z.number().int(),
      items: z.array(PlanItem),
      nextPage: z.string().optional(),
    }),
    'One page of a plan the daemon keeps: its registry or filesystem mutations, blockers or warnings, in plan order. ' +
      'PLAN_EXPIRED when the daemon no longer holds the plan.',
  ),
  'mutation.apply': method(
    ApplyOptions.extend({
      /** The plan to apply, from mutation.preview: the daemon re-plans its mutation in the lane and refuses when the
       * revision moved on. */
      planId: z.string().min(1).optional(),
      /** The mutation to apply (instead of `planId`). */
      mutation: Mutation.optional(),
    }),
    ApplySummary,
    'Run a mutation (by `planId`, or given whole) through the write lane: re-plans against the current state, refuses ' +
      'on blockers, or (CONFLICT) when the revision moved and the re-plan differs from the previewed plan; PLAN_EXPIRED ' +
      'for a plan id the daemon no longer holds or already applied. Commits atomically; answers with the applied plan summarised.',
  ),
  'operations.list': method(
    z.object({}),
    z.object({ items: z.array(OperationInfo) }),
    'Recent, running and queued operations.',
  ),
  'operations.get': method(z.object({ operationId: z.string().min(1) }), OperationInfo, 'One operation.'),
  'operations.cancel': method(
    z.object({ operationId: z.string().min(1) }),
    z.object({ operationId: z.string(), state: OperationInfo.shape.state }),
    'Cancel a queued or running operation; its terminal event says how it ended.',
  ),
  'events.subscribe': method(
    z.object({ since: Cursor.optional() }),
    z.object({
      subscriptionId: z.string(),
      /** The newest cursor at subscription time. */
      cursor: Cursor,
      generation: z.number().int(),
      /** True when `since` came from an earlier daemon generation (the daemon restarted since). */
      restarted: z.boolean(),
      /** How many held events are replayed before live ones. */
      replayed: z.number().int(),
    }),
    'Replay events after `since`, then follow live (as `events.event` notifications). CURSOR_EXPIRED when `since` is older than the log.',
  ),
  'events.unsubscribe': method(
    z.object({ subscriptionId: z.string().min(1) }),
    z.object({ ok: z.literal(true) }),
    'Stop a subscription.',
  ),
  'build.preview': method(
    BuildParams,
    BuildPlanView,
    'The build plan against the current snapshot: packs, entry counts, blockers and warnings. Changes nothing.',
  ),
  'build.start': method(
    BuildParams,
    z.object({ operationId: z.string() }),
    'Queue a build on the write lane and answer at once. Follow it by events: progress per asset (counts ' +
      'processed/cached/failed, bytes, current), then `completed` with the BuildReport as `result`, `failed` (BLOCKED: ' +
      '`data.blockers`, and `data.report` when processors failed) or `cancelled`. Cancel with operations.cancel.',
  ),
  'build.run': method(
    BuildParams,
    z.object({ operationId: z.string(), report: BuildReport }),
    'Like build.start, but answers when the build has ended: the report, or the error of its terminal event.',
  ),
  'packs.list': method(
    z.object({}),
    z.object({ buildDir: z.string(), items: z.array(PackInfo) }),
    'Every configured pack: its files, manifest digest and last recorded build.',
  ),
  'packs.entries': method(
    z.object({
      /** Pack name from packer.json, or a project-relative path to a `.pack` file. */
      pack: z.string().min(1),
      ...paging(PAGE_SIZES['packs.entries']),
    }),
    z.object({
      pack: z.string(),
      file: z.string(),
      digest: z.string().optional(),
      total: z.number().int(),
      items: z.array(PackEntryInfo),
      nextPage: z.string().optional(),
    }),
    "The entries of a pack, read from the pack's own table (sorted by asset id). NOT_FOUND when it was never built.",
  ),
  'packs.verify': method(
    z.object({
      /** Pack name from packer.json, or a project-relative path to a `.pack` file. */
      pack: z.string().min(1),
    }),
    VerifyResult,
    'Check a pack against its header, table and manifest digests; reports the first bad entry or section.',
  ),
  'cache.stats': method(
    z.object({}),
    CacheStats,
    'The local output cache in `.packer/cache/`: entries, live and on-disk bytes, the LRU cap.',
  ),
  'cache.prune': method(
    z.object({
      /** Keep the most recently used outputs up to this many bytes; default 0: remove every cached output. */
      maxBytes: z.number().int().nonnegative().optional(),
    }),
    z.object({
      /** Outputs removed. */
      removedEntries: z.number().int(),
      /** Bytes of segment files deleted from disk. */
      freedBytes: z.number().int(),
      /** The cache afterwards. */
      stats: CacheStats,
    }),
    'Delete cached outputs, least recently used first (all of them by default). Waits for a running build to finish with the cache.',
  ),
  'audit.list': method(
    z.object({ operationId: z.string().optional(), ...paging(PAGE_SIZES['audit.list']) }),
    z.object({
      /** The newest `limit` records (or, with `page`, the ones before the previous page), oldest first. */
      items: z.array(AuditRecord),
      /** Records matching `operationId` (or all), over all pages. */
      total: z.number().int(),
      /** Older records. */
      nextPage: z.string().optional(),
    }),
    'Audit records of applied and refused mutations, newest page first, oldest first within a page. Each record ' +
      `keeps its first ${AUDIT_RECORD_ITEMS} registry and filesystem mutations; its \`changes\` count them all.`,
  ),
} as const;

export type MethodName = keyof typeof Methods;
export type MethodParams<M extends MethodName> = z.input<(typeof Methods)[M]['params']>;
export type MethodResult<M extends MethodName> = z.infer<(typeof Methods)[M]['result']>;

/** Server → client notifications. */
export const Notifications = {
  /** One event of a subscription. */
  'events.event': z.object({ subscriptionId: z.string(), event: EventEnvelope }),
  /** The daemon ended a subscription (overflow, shutdown); resume with `events.subscribe({ since: resumeCursor })`. */
  'events.closed': z.object({ subscriptionId: z.string(), code: z.string(), reason: z.string(), resumeCursor: Cursor }),
} as const;
export type NotificationName = keyof typeof Notifications;
export type NotificationParams<N extends NotificationName> = z.infer<(typeof Notifications)[N]>;
