import { z } from 'zod';
import { Diagnostic, Severity } from './diagnostics.js';
import { method, paging, SyncRead } from './method-definition.js';
import { PAGE_SIZES } from './runtime-constants.js';
import {
  AssetView,
  DivergenceEntry,
  Observation,
  PackBuildInfo,
  RegistryState,
  RegistryUnreadable,
  Snapshot,
  SnapshotSummary,
} from './snapshot-schema.js';

/** An untracked file in an asset listing. */
export const UntrackedItem = z.object({
  path: z.string(),
  kind: z.string(),
  status: z.literal('untracked'),
  observation: Observation,
});
export const AssetListItem = z.union([AssetView, UntrackedItem]);
export type AssetListItem = z.infer<typeof AssetListItem>;

/** Reads of the current snapshot: its summary, the whole of it, and the paged lists of its assets, diagnostics and
 * divergence. */
export const ReadMethods = {
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
      /**
       * Only assets carrying this tag, or with a list at least one of these tags (as a pack's `tags` selects). Tags
       * compare in their one form (NFC, trimmed). A single string is what clients before the list sent.
       */
      tag: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
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
      /** Present while the registry cannot be read: the list is then unknown, not empty (`items` is empty). */
      registryUnreadable: RegistryUnreadable.optional(),
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
} as const;
