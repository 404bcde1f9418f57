import { z } from 'zod';
import {
  BuildParams,
  BuildPlanView,
  BuildReport,
  CacheStats,
  PackEntryInfo,
  PackInfo,
  VerifyResult,
} from './build-schema.js';
import { method, paging } from './method-definition.js';
import { PAGE_SIZES } from './runtime-constants.js';

/** Builds, the packs they write, and the output cache they use. */
export const BuildMethods = {
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
} as const;
