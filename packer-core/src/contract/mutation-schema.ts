import { z } from 'zod';
import { Diagnostic } from './diagnostics.js';
import { RegistryEntry, SettingValue, settingsRecord } from './registry-schema.js';

/** A reference to an asset: its id (`a_…`) or its project-relative path. */
export const AssetRef = z.string().min(1);

/** Adopt untracked files or whole folders as new assets. */
export const RegisterMutation = z.strictObject({
  type: z.literal('register'),
  /** Project-relative (or absolute, inside the project) files or folders. */
  paths: z.array(z.string().min(1)).min(1),
  /** Tags given to every new asset. */
  tags: z.array(z.string().min(1)).optional(),
});

/** Move or rename a file or a folder; ids are kept. */
export const MoveMutation = z.strictObject({
  type: z.literal('move'),
  /** Asset id, file path or folder path. */
  from: AssetRef,
  /** New path. For a folder, the new folder path. */
  to: z.string().min(1),
});

/** Unregister assets; optionally delete their files. */
export const RemoveMutation = z.strictObject({
  type: z.literal('remove'),
  targets: z.array(AssetRef).min(1),
  deleteFiles: z.boolean().default(false),
});

/** Change settings, tags or kind of one asset. */
export const UpdateMutation = z.strictObject({
  type: z.literal('update'),
  target: AssetRef,
  /**
   * Settings to set; `null` removes a key. A string is converted by the kind's declared type (`"512"` for a number
   * setting is 512, `"true"` for a boolean one is true; text that does not fit is an INVALID_SETTINGS blocker), so
   * clients send what a person typed. Keys `__proto__`, `constructor` and `prototype` are refused.
   */
  settings: settingsRecord(z.union([SettingValue, z.null()])).optional(),
  addTags: z.array(z.string().min(1)).optional(),
  removeTags: z.array(z.string().min(1)).optional(),
  kind: z.string().min(1).optional(),
});

/** Resolve divergence: the packer proposes, this applies what it proposed. */
export const ReconcileMutation = z.strictObject({
  type: z.literal('reconcile'),
  /** Which kinds of action to include (default: all). */
  include: z.array(z.enum(['adopt', 'drop', 'relink'])).optional(),
});

/**
 * Relink by hand a registered asset whose file is missing to a file now on disk that is not registered (it was
 * renamed, perhaps edited, outside the packer): the id, kind, settings and tags are kept; the file does not move
 * (only sidecars it left at the old path follow it, as steps the plan lists).
 */
export const RelinkMutation = z.strictObject({
  type: z.literal('relink'),
  /** The missing asset: its id or its registered path. */
  from: AssetRef,
  /** The untracked file that is now this asset. */
  to: z.string().min(1),
});

/** Every commit-bearing mutation, as one discriminated union. */
export const Mutation = z.discriminatedUnion('type', [
  RegisterMutation,
  MoveMutation,
  RemoveMutation,
  UpdateMutation,
  ReconcileMutation,
  RelinkMutation,
]);
export type Mutation = z.infer<typeof Mutation>;
export type MutationInput = z.input<typeof Mutation>;
export type MutationType = Mutation['type'];

/**
 * A change to the registry that a plan will make. For `add`, the id in a preview is provisional: an apply at the
 * preview's revision registers it, but one at a later revision re-plans against the current state and assigns fresh
 * ids (the result's plan always carries the ids actually registered).
 */
export const RegistryMutation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), entry: RegistryEntry }),
  z.object({ op: z.literal('remove'), entry: RegistryEntry }),
  z.object({ op: z.literal('update'), before: RegistryEntry, after: RegistryEntry }),
]);
export type RegistryMutation = z.infer<typeof RegistryMutation>;

/**
 * Set on a step that carries a sidecar (packer.json `sidecars`, e.g. `x.png.import`) along with its owner: the
 * path of the asset or folder it belongs to, as it was before the plan. Absent on the owner's own step.
 */
const SidecarOf = z.string().optional();

/** A change to files on disk that a plan will make. */
export const FilesystemMutation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('move'), from: z.string(), to: z.string(), sidecarOf: SidecarOf }),
  z.object({ op: z.literal('delete'), path: z.string(), sidecarOf: SidecarOf }),
]);
export type FilesystemMutation = z.infer<typeof FilesystemMutation>;

/** What a mutation would do, computed purely against one snapshot revision. */
export const Plan = z.object({
  mutation: Mutation,
  /** The snapshot revision this plan was computed against. */
  baseRevision: z.number().int(),
  blockers: z.array(Diagnostic),
  warnings: z.array(Diagnostic),
  registryMutations: z.array(RegistryMutation),
  filesystemMutations: z.array(FilesystemMutation),
  /**
   * Present when applying this plan also rewrites `packer.registry.json` from an older format (`from`) into the
   * current one (`to`): the whole file changes layout once, in this commit. Absent otherwise.
   */
  registryMigration: z
    .object({
      from: z.number().int(),
      to: z.number().int(),
      /**
       * Present when the write also moves registry entries into the file `registry.shards` assigns them (the setting
       * changed, or a merge or a hand edit left entries elsewhere): `shards` is the configured count, `entries` how
       * many entries move. Every registry file changes layout once, in this commit.
       */
      layout: z.object({ shards: z.number().int(), entries: z.number().int().nonnegative() }).optional(),
    })
    .optional(),
});
export type Plan = z.infer<typeof Plan>;

const count = z.number().int().nonnegative();

/** How many of each thing a whole plan holds, by kind of change. */
export const PlanCounts = z.object({
  /** All registry mutations of the plan. */
  registryMutations: count,
  /** All filesystem mutations of the plan (sidecar steps included). */
  filesystemMutations: count,
  blockers: count,
  warnings: count,
  /** Registry mutations by op: `add` registers a new asset, `remove` unregisters one, `update` changes path, kind,
   * settings or tags. */
  registry: z.object({ add: count, remove: count, update: count }),
  /** Filesystem mutations by op. */
  filesystem: z.object({ move: count, delete: count }),
});
export type PlanCounts = z.infer<typeof PlanCounts>;

/**
 * A plan as it travels: its size does not grow with the plan's. The daemon keeps the whole plan under `planId`;
 * the lists here hold only the first items (PLAN_SUMMARY_LIMITS: the first 100 registry and filesystem
 * mutations, the first 1,000 blockers and warnings), `counts` say how many there are, and `plan.items` pages
 * through all of them. Apply it with `mutation.apply { planId, expectedRevision: baseRevision }`.
 */
export const PlanSummary = Plan.extend({
  /** The daemon's handle on the whole plan, for `plan.items` and `mutation.apply`; PLAN_EXPIRED once it is gone. */
  planId: z.string(),
  counts: PlanCounts,
  /** True when any list above holds fewer items than `counts` says: page the rest with `plan.items`. */
  truncated: z.boolean(),
  /** For each list cut short here, the `plan.items` page token of the items after the ones shown. */
  nextPages: z.object({
    registryMutations: z.string().optional(),
    filesystemMutations: z.string().optional(),
    blockers: z.string().optional(),
    warnings: z.string().optional(),
  }),
});
export type PlanSummary = z.infer<typeof PlanSummary>;

/** The lists of a plan that `plan.items` pages through. */
export const PlanList = z.enum(['registryMutations', 'filesystemMutations', 'blockers', 'warnings']);
export type PlanList = z.infer<typeof PlanList>;

/** One item of a plan list: a registry mutation, a filesystem mutation or a diagnostic, as `list` says. */
export const PlanItem = z.union([RegistryMutation, FilesystemMutation, Diagnostic]);
export type PlanItem = z.infer<typeof PlanItem>;

/** Who asked for an operation, for the audit log. */
export const Actor = z.object({
  client: z.string(),
  user: z.string().optional(),
  pid: z.number().int().optional(),
});
export type Actor = z.infer<typeof Actor>;

/** Options of an apply. */
export const ApplyOptions = z.object({
  /** Refuse with CONFLICT unless the current revision is this one. */
  expectedRevision: z.number().int().optional(),
  /** A retry with the same key returns the first result and changes nothing. */
  idempotencyKey: z.string().min(1).max(200).optional(),
});
export type ApplyOptions = z.infer<typeof ApplyOptions>;

/** The outcome of an applied mutation. */
export const ApplyResult = z.object({
  operationId: z.string(),
  plan: Plan,
  revisionBefore: z.number().int(),
  revisionAfter: z.number().int(),
  /** True when this result was returned from an earlier apply with the same idempotency key. */
  replayed: z.boolean(),
  /**
   * Problems met after the commit point (`AFTER_COMMIT_FAILED`): the change happened and is reported completed, but
   * part of its aftermath (refreshing the snapshot, the audit record) failed. Do not apply it again. Absent when none.
   */
  warnings: z.array(Diagnostic).optional(),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/**
 * The outcome of an applied mutation as `mutation.apply` answers it: the plan actually applied, summarised (its
 * `planId` pages the ids actually registered with `plan.items`; it cannot be applied again).
 */
export const ApplySummary = ApplyResult.extend({ plan: PlanSummary });
export type ApplySummary = z.infer<typeof ApplySummary>;

/** What an applied mutation changed, counted, with the first few paths: bounded whatever the mutation's size. */
export const AuditChanges = z.object({
  /** Assets registered (new ids). */
  registered: z.number().int(),
  /** Assets whose registered path changed (moved, renamed or relinked); ids kept. */
  moved: z.number().int(),
  /** Assets unregistered. */
  removed: z.number().int(),
  /** Assets whose kind, settings or tags changed at the same path. */
  updated: z.number().int(),
  /** Files or folders moved on disk (a folder counts once; sidecar files count). */
  movedFiles: z.number().int(),
  /** Files deleted from disk. */
  deletedFiles: z.number().int(),
  /** The first registry changes (at most 5), each as `path`, or `from → to` for a path change; the counts say how many
   * more. */
  firstPaths: z.array(z.string()),
});
export type AuditChanges = z.infer<typeof AuditChanges>;

/**
 * The `result` of the `completed` event a daemon appends at start for an apply that a stop (a crash, `kill -9`) cut
 * short after its commit point: recovery finished it, so its changes are in place (an apply rolled back ends `failed`
 * with `data.recovered: 'before'`). Its plan is gone; `changes` counts what it did, as its audit record does.
 * `warnings` holds one AFTER_COMMIT_FAILED: do not apply it again.
 */
export const RecoveredApplyResult = z.object({
  operationId: z.string(),
  recovered: z.literal(true),
  revisionBefore: z.number().int(),
  revisionAfter: z.number().int(),
  changes: AuditChanges.optional(),
  warnings: z.array(Diagnostic),
});
export type RecoveredApplyResult = z.infer<typeof RecoveredApplyResult>;

/** One audit record per applied (or refused) mutation. */
export const AuditRecord = z.object({
  time: z.string(),
  operationId: z.string(),
  actor: Actor,
  scope: z.object({ type: z.string(), mutation: z.unknown() }),
  result: z.enum(['applied', 'blocked', 'conflict', 'failed']),
  revisionBefore: z.number().int(),
  revisionAfter: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  registryMutations: z.array(RegistryMutation).optional(),
  filesystemMutations: z.array(FilesystemMutation).optional(),
  /** What an applied mutation changed (counts and the first paths), written by the packer; older records lack it. */
  changes: AuditChanges.optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
