// The contract's runtime values that need no zod: clients on a hot path (`packer status`) import these
// through `@packer/core/contract/runtime` and take everything else as types only.

/** Bumped on any incompatible change to methods, params, results or events. */
export const PROTOCOL_VERSION = 3;

/** Largest frame either side accepts on a stream transport (bytes of one JSON text). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

/**
 * Page sizes of the paged list methods: `default` when the call leaves `limit` out, `max` the most one page
 * holds (a client that wants everything pages with `max`).
 */
export const PAGE_SIZES = {
  'assets.list': { default: 500, max: 5000 },
  'packs.entries': { default: 1000, max: 10_000 },
  'plan.items': { default: 1000, max: 5000 },
  'diagnostics.list': { default: 500, max: 5000 },
  'divergence.list': { default: 500, max: 5000 },
  'audit.list': { default: 100, max: 1000 },
} as const;

/**
 * What a plan summary (`mutation.preview`, `mutation.apply`, a CONFLICT's or BLOCKED's `data.plan`) carries at
 * most of each list, whatever the plan's size: the first `items` registry and filesystem mutations, the first
 * `diagnostics` blockers and warnings. `counts` say how many there are; `plan.items` pages the rest.
 */
export const PLAN_SUMMARY_LIMITS = { items: 100, diagnostics: 1000 } as const;

/**
 * The snapshot lists at most this many untracked files (and unsupported names, orphan sidecars) as diagnostics, then
 * one more that counts the rest: `summary.infos` counts those listed, not the files (`summary.untracked` does).
 */
export const DIAGNOSTICS_LISTED_PER_KIND = 1000;

/** Registry and filesystem mutations kept per record in an `audit.list` answer (its `changes` counts them all). */
export const AUDIT_RECORD_ITEMS = 20;

/** An asset id: `a_` followed by 26 Crockford base32 characters (a ULID). */
export const ASSET_ID_PATTERN = /^a_[0-9A-HJKMNP-TV-Z]{26}$/;

/** True when a reference names an asset id rather than a path (the packer's own rule, shared with clients). */
export function isAssetId(ref: string): boolean {
  return ASSET_ID_PATTERN.test(ref);
}

/** Builds a cursor `"<generation>.<seq>"`. */
export function formatCursor(generation: number, seq: number): string {
  return `${generation}.${seq}`;
}

/** Splits a cursor into its generation and its global sequence number. */
export function parseCursor(cursor: string): { generation: number; seq: number } {
  const [generation, seq] = cursor.split('.').map(Number);
  return { generation: generation ?? 0, seq: seq ?? 0 };
}
