import path from 'node:path';
import type { CacheStats } from '../contract/build-schema.js';
import { OutputCache } from './output-cache.js';
import { lockOutputCache } from './output-cache-lock.js';
import { cacheCapFromEnv } from './cache-cap.js';

type CacheStatsOf = ReturnType<OutputCache['stats']>;

/** The local output cache of a project (`cache.stats`): read as it is, without waiting for a running build. */
export function outputCacheStats(stateDir: string): CacheStats {
  const dir = path.join(stateDir, 'cache');
  const cache = OutputCache.inspect(dir, { maxBytes: cacheCapFromEnv() });
  try {
    return statsView(dir, cache.stats());
  } finally {
    void cache.close();
  }
}

/**
 * Deletes cached outputs, least recently used first, until the stored bytes fit in `maxBytes` (default 0: all of
 * them), then the segment files nothing references (`cache.prune`). Waits for a running build to finish with the cache.
 */
export async function pruneOutputCache(
  stateDir: string,
  maxBytes = 0,
): Promise<{ removedEntries: number; freedBytes: number; stats: CacheStats }> {
  const dir = path.join(stateDir, 'cache');
  const release = await lockOutputCache(dir);
  try {
    const cache = OutputCache.open(dir, { maxBytes: cacheCapFromEnv() });
    try {
      const before = cache.stats().diskBytes;
      const removedEntries = cache.prune(maxBytes);
      await cache.save();
      const after = cache.stats();
      return { removedEntries, freedBytes: Math.max(0, before - after.diskBytes), stats: statsView(dir, after) };
    } finally {
      await cache.close();
    }
  } finally {
    release();
  }
}

function statsView(dir: string, stats: CacheStatsOf): CacheStats {
  const { oldestUse, newestUse, ...rest } = stats;
  const view: CacheStats = { dir, ...rest };
  if (oldestUse !== undefined) view.oldestUse = new Date(oldestUse).toISOString();
  if (newestUse !== undefined) view.newestUse = new Date(newestUse).toISOString();
  return view;
}
