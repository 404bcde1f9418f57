import path from 'node:path';
import type { StorageWarning } from '../contract/methods.js';
import { WriteHealth } from '../fs/write-health.js';
import type { DiscardNotice } from '../state-store/discard-notice.js';

interface CacheHealth {
  writes: WriteHealth;
  discarded?: DiscardNotice;
}

// Kept per cache folder, outside any one OutputCache: a build opens its own and drops it when done, while the
// daemon's health asks later whether the last index write went through.
const byDir = new Map<string, CacheHealth>();

/** The write health of the output cache in `dir` (`.packer/cache`). */
export function outputCacheHealth(dir: string): CacheHealth {
  let health = byDir.get(dir);
  if (!health) byDir.set(dir, (health = { writes: new WriteHealth('output-cache') }));
  return health;
}

/**
 * Why the output cache of the project whose state folder is `stateDir` is not as it should be: its index could not
 * be written at the end of the last build (a full disk, say: that build's outputs are processed again next time),
 * or a damaged index was thrown away. Undefined when all is well.
 */
export function outputCacheProblem(stateDir: string): StorageWarning | undefined {
  const health = byDir.get(path.join(stateDir, 'cache'));
  return health?.writes.warning ?? health?.discarded?.current();
}
