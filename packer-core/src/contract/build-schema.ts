import { z } from 'zod';
import { Diagnostic } from './diagnostics.js';
import { PackBuildInfo } from './snapshot-schema.js';

/** Version of the binary pack format (`docs/pack-format.md`); bumped on any incompatible layout change. */
export const PACK_FORMAT_VERSION = 1;

/** Metadata a processor records for one entry (e.g. image `width`, `height`, `format`). Flat JSON primitives. */
export const EntryMetadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type EntryMetadata = z.infer<typeof EntryMetadata>;

/** Which packs to build. */
export const BuildParams = z.object({
  /** Pack names from `packer.json`; default: every pack. An unknown name is NOT_FOUND before anything runs. */
  packs: z.array(z.string().min(1)).min(1).optional(),
});
export type BuildParams = z.infer<typeof BuildParams>;

/** Per-asset outcome counts of a build, cumulative (also the `counts` of its progress events). */
export const BuildCounts = z.object({
  /** Assets whose processor ran in this build. */
  processed: z.number().int(),
  /** Assets whose output came from the cache (no processing). */
  cached: z.number().int(),
  /** Assets whose processor failed (each has a PROCESSOR_FAILED diagnostic in the report). */
  failed: z.number().int(),
  /**
   * Assets whose output is their own input file, taken without running a processor or asking a cache (the `copy`
   * processor). Present only in builds with a remote cache, where these are never requested (docs/remote-cache.md).
   */
  passThrough: z.number().int().optional(),
});
export type BuildCounts = z.infer<typeof BuildCounts>;

/** What a build did with the remote cache (`remoteCache` in packer.json), cumulative. */
export const RemoteCacheStats = z.object({
  /** The cache's URL, credentials removed. */
  url: z.string(),
  mode: z.enum(['read-write', 'read-only']),
  /** Outputs taken from the remote cache (verified), counted as `cached`. */
  hits: z.number().int(),
  /** Lookups the remote cache did not answer with a usable output (not there, unreachable, or failing verification). */
  misses: z.number().int(),
  /** Outputs uploaded (their blobs, then their action result). */
  uploads: z.number().int(),
  bytesDown: z.number().int(),
  bytesUp: z.number().int(),
  /** Milliseconds spent in remote requests, summed over concurrent requests. */
  timeMs: z.number().int(),
  /** Requests that failed (connection error, timeout, an unexpected status, a bad download). */
  errors: z.number().int(),
  /** `ok`; `degraded` after an error in this build; `paused` while the breaker holds requests back after repeated
   * connection errors or 5xx. */
  state: z.enum(['ok', 'degraded', 'paused']),
});
export type RemoteCacheStats = z.infer<typeof RemoteCacheStats>;

/** One entry of a pack, as its table and manifest describe it. */
export const PackEntryInfo = z.object({
  /** Asset id; entries are sorted by it. */
  id: z.string(),
  /** Output name: the asset's path relative to its asset root (`sprites/bat.png`). Unique in a pack. */
  name: z.string(),
  /** Project-relative source path at build time. */
  path: z.string(),
  kind: z.string(),
  /** Byte offset of the data in the pack file (aligned). */
  offset: z.number().int().nonnegative(),
  /** Bytes of processed data. */
  size: z.number().int().nonnegative(),
  /** sha256 hex of the processed data. */
  digest: z.string(),
  metadata: EntryMetadata,
});
export type PackEntryInfo = z.infer<typeof PackEntryInfo>;

/** `<buildDir>/<pack>.manifest.json`: names the pack file beside it, and is committed after it. Carries no
 * timestamps. */
export const PackManifest = z.object({
  format: z.literal('packer-pack-manifest'),
  version: z.literal(PACK_FORMAT_VERSION),
  /** Pack name from `packer.json`. */
  pack: z.string(),
  /** Project name from `packer.json`. */
  project: z.string(),
  /** Pack file name, beside the manifest: `<pack>.<first 16 hex of digest>.pack` (`<pack>.pack` before content
   * addressing). */
  file: z.string(),
  /** sha256 hex of the whole pack file: what releases promote. */
  digest: z.string(),
  /** Size of the pack file in bytes. */
  bytes: z.number().int().nonnegative(),
  /** Snapshot revision the pack's content was built from. */
  revision: z.number().int().nonnegative(),
  entries: z.array(PackEntryInfo),
});
export type PackManifest = z.infer<typeof PackManifest>;

/** What a build did with one pack. */
export const PackReport = z.object({
  pack: z.string(),
  /** `written`: new bytes replaced the pack; `unchanged`: the pack on disk already held exactly this content;
   *  `failed`: an asset of this pack failed, so the previous pack was left untouched. */
  status: z.enum(['written', 'unchanged', 'failed']),
  /** Project-relative path of the pack file. */
  file: z.string(),
  /** sha256 of the pack file (absent when failed). */
  digest: z.string().optional(),
  entries: z.number().int(),
  /** Size of the pack file in bytes (0 when failed). */
  bytes: z.number().int(),
  /** Entries whose processed output came from the cache. */
  cacheHits: z.number().int(),
  /** Milliseconds from the start of the build until this pack was staged (its assets' processing included; packs are
   * staged in parallel). */
  durationMs: z.number().int(),
});
export type PackReport = z.infer<typeof PackReport>;

/** The result of a build: the `result` of its `completed` event, and `data.report` of a BLOCKED `failed` one. */
export const BuildReport = z.object({
  /** Snapshot revision the build pinned. */
  revision: z.number().int(),
  /** Revision after the build recorded its packs (`snapshot.summary.lastBuilds`). */
  revisionAfter: z.number().int(),
  packs: z.array(PackReport),
  counts: BuildCounts,
  /** Distinct assets the build needed (an asset in two packs counts once). */
  assets: z.number().int(),
  /** Input bytes of those assets. */
  inputBytes: z.number().int(),
  durationMs: z.number().int(),
  /** PROCESSOR_FAILED / CHANGED_DURING_BUILD diagnostics, one per failed asset. */
  failures: z.array(Diagnostic),
  /** Non-blocking findings, e.g. EMPTY_PACK, REMOTE_CACHE. */
  warnings: z.array(Diagnostic),
  /** What the build did with the remote cache, when one is configured. */
  remote: RemoteCacheStats.optional(),
});
export type BuildReport = z.infer<typeof BuildReport>;

/** A build plan without running it: what `build.start` would do, and whether blockers stop it. */
export const BuildPlanView = z.object({
  revision: z.number().int(),
  packs: z.array(z.object({ name: z.string(), entries: z.number().int(), inputBytes: z.number().int() })),
  blockers: z.array(Diagnostic),
  warnings: z.array(Diagnostic),
});
export type BuildPlanView = z.infer<typeof BuildPlanView>;

/** One configured pack and what is on disk for it. */
export const PackInfo = z.object({
  name: z.string(),
  /** Project-relative pack file path. */
  file: z.string(),
  /** Project-relative manifest path. */
  manifestFile: z.string(),
  /** Both the pack and its manifest exist. */
  exists: z.boolean(),
  /** From the manifest, when it exists. */
  digest: z.string().optional(),
  entries: z.number().int().optional(),
  bytes: z.number().int().optional(),
  revision: z.number().int().optional(),
  /** The packer's record of this pack's last build, when there is one. */
  lastBuild: PackBuildInfo.optional(),
});
export type PackInfo = z.infer<typeof PackInfo>;

/** Where a pack failed verification. */
export const VerifyProblem = z.object({
  /** `file`: missing or unreadable; `header`/`table`: the index is damaged; `entry`: an entry's bytes;
   *  `padding`: bytes between entries; `manifest`: the manifest does not describe this pack. */
  section: z.enum(['file', 'header', 'table', 'entry', 'padding', 'manifest']),
  message: z.string(),
  /** The first bad entry, for `entry` and `table` problems (and `padding` after an entry). */
  entry: z.object({ index: z.number().int(), id: z.string(), name: z.string(), path: z.string() }).optional(),
  expected: z.string().optional(),
  actual: z.string().optional(),
});
export type VerifyProblem = z.infer<typeof VerifyProblem>;

/** The outcome of verifying one pack against itself and its manifest. */
export const VerifyResult = z.object({
  pack: z.string(),
  file: z.string(),
  ok: z.boolean(),
  /** sha256 of the pack file as read, when it could be read through. */
  digest: z.string().optional(),
  bytes: z.number().int(),
  entries: z.number().int(),
  /** The first problem found, in file order. */
  problem: VerifyProblem.optional(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

/** The local output cache in `.packer/cache/` (`cache.stats`, and what `cache.prune` leaves). */
export const CacheStats = z.object({
  /** Absolute path of the cache folder. */
  dir: z.string(),
  /** Cached outputs (pass-through outputs included: they hold no bytes). */
  entries: z.number().int(),
  /** Bytes of the stored outputs the index references (what the LRU cap limits). */
  liveBytes: z.number().int(),
  /** Bytes of the segment files on disk (dead space included, until compaction). */
  diskBytes: z.number().int(),
  /** The LRU cap on `liveBytes` (`PACKER_CACHE_MAX_BYTES`, else 2 GiB). */
  maxBytes: z.number().int(),
  segments: z.number().int(),
  /** ISO time of the oldest and newest use of an entry, when there are entries. */
  oldestUse: z.string().optional(),
  newestUse: z.string().optional(),
});
export type CacheStats = z.infer<typeof CacheStats>;
