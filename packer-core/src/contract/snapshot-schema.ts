import { z } from 'zod';
import { Diagnostic } from './diagnostics.js';
import { SettingValue } from './registry-schema.js';

/** What the packer last observed of a file on disk. */
export const Observation = z.object({
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  /** sha256 hex, when known (digests are computed lazily and cached). */
  digest: z.string().optional(),
});
export type Observation = z.infer<typeof Observation>;

/** `present`: file on disk; `missing`: registered but not on disk. */
export const AssetStatus = z.enum(['present', 'missing']);
export type AssetStatus = z.infer<typeof AssetStatus>;

/** A registered asset as the snapshot sees it. */
export const AssetView = z.object({
  id: z.string(),
  path: z.string(),
  kind: z.string(),
  settings: z.record(z.string(), SettingValue),
  tags: z.array(z.string()),
  status: AssetStatus,
  /** Absent when the file is missing. */
  observation: Observation.optional(),
  /** Worst severity among this asset's diagnostics, for badges. */
  worstSeverity: z.enum(['blocker', 'warning', 'info']).optional(),
});
export type AssetView = z.infer<typeof AssetView>;

/** A file under an asset root that no registry entry claims. */
export const UntrackedFile = z.object({
  path: z.string(),
  kind: z.string(),
  observation: Observation,
});
export type UntrackedFile = z.infer<typeof UntrackedFile>;

/** A difference between registry and disk the packer did not cause. */
export const DivergenceEntry = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('missing'),
    assetId: z.string(),
    path: z.string(),
    /** Untracked files that match this asset as well as each other (an AMBIGUOUS_MATCH): reconcile leaves it alone. */
    ambiguousWith: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal('untracked'),
    path: z.string(),
    /** Ids of missing assets this file matches equally well (an AMBIGUOUS_MATCH): reconcile does not adopt it. */
    ambiguousWith: z.array(z.string()).optional(),
  }),
  /**
   * A missing asset whose last known content now sits at `to`: identical, or (with `similarity`) renamed and
   * edited. Either way a proposal: reconcile relinks it only when applied.
   */
  z.object({
    type: z.literal('moved'),
    assetId: z.string(),
    from: z.string(),
    to: z.string(),
    /** Present when the content changed: how much of it was kept (0–1, git's rename score) and why this file was
     * chosen. */
    similarity: z.object({ score: z.number(), reason: z.string() }).optional(),
  }),
]);
export type DivergenceEntry = z.infer<typeof DivergenceEntry>;

/** Why the registry cannot be read, while it cannot: what is registered (and so untracked) is then unknown. */
export const RegistryUnreadable = z.object({
  /** The registry problem in one sentence (the INVALID_REGISTRY diagnostic's message). */
  reason: z.string(),
});
export type RegistryUnreadable = z.infer<typeof RegistryUnreadable>;

/** Counts computed by the packer; consumers show them, never recount. */
export const SnapshotSummary = z.object({
  assets: z.number().int(),
  byKind: z.record(z.string(), z.number().int()),
  byStatus: z.record(z.string(), z.number().int()),
  untracked: z.number().int(),
  missing: z.number().int(),
  divergence: z.number().int(),
  blockers: z.number().int(),
  warnings: z.number().int(),
  infos: z.number().int(),
  totalBytes: z.number().int(),
  /**
   * Present while the registry cannot be read (`registryState` `read-only`): `assets`, `byKind`, `byStatus`,
   * `untracked`, `missing`, `divergence` and `totalBytes` are then unknown, not zero (they read 0). Show "unknown"
   * with the reason, never "0 assets" beside files on disk. The diagnostic counts stay exact.
   */
  registryUnreadable: RegistryUnreadable.optional(),
});
export type SnapshotSummary = z.infer<typeof SnapshotSummary>;

/** The last build of one pack, as recorded by the packer. */
export const PackBuildInfo = z.object({
  pack: z.string(),
  digest: z.string(),
  entries: z.number().int(),
  bytes: z.number().int(),
  revision: z.number().int(),
  builtAt: z.string(),
});
export type PackBuildInfo = z.infer<typeof PackBuildInfo>;

/** The registry's health: `read-only` when it failed validation. */
export const RegistryState = z.enum(['ok', 'read-only']);
export type RegistryState = z.infer<typeof RegistryState>;

/** One immutable, revisioned view of workspace + registry + observations + diagnostics. */
export const Snapshot = z.object({
  /** Monotonic across restarts of the same project. */
  revision: z.number().int().nonnegative(),
  projectName: z.string(),
  registryState: RegistryState,
  assets: z.array(AssetView),
  untracked: z.array(UntrackedFile),
  divergence: z.array(DivergenceEntry),
  diagnostics: z.array(Diagnostic),
  summary: SnapshotSummary,
  lastBuilds: z.array(PackBuildInfo),
});
export type Snapshot = z.infer<typeof Snapshot>;
