import { outputCacheStats, pruneOutputCache } from '@packer/core';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';

type CacheMethod = 'cache.stats' | 'cache.prune';

/**
 * The local output cache. Stats read it as it is; a prune waits for a running build to be done with it (the
 * cache's own lock, not the lane: a prune changes no snapshot, and a cache is only a cache).
 */
export function createCacheHandlers({
  workspace,
}: Pick<DaemonServices, 'workspace'>): Pick<MethodHandlers<ConnectionContext>, CacheMethod> {
  return {
    'cache.stats': () => outputCacheStats(workspace.stateDir),
    'cache.prune': (params) => pruneOutputCache(workspace.stateDir, params.maxBytes ?? 0),
  };
}
