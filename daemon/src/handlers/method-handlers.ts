import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import { createAssetsHandlers } from './assets-handlers.js';
import { createAuditHandlers } from './audit-handlers.js';
import { createBuildHandlers } from './build-handlers.js';
import { createCacheHandlers } from './cache-handlers.js';
import { createDaemonHandlers } from './daemon-handlers.js';
import type { DaemonServices } from './daemon-services.js';
import { createEventsHandlers } from './events-handlers.js';
import { createMutationHandlers } from './mutation-handlers.js';
import { createOperationsHandlers } from './operations-handlers.js';
import { createPacksHandlers } from './packs-handlers.js';
import { createSnapshotHandlers } from './snapshot-handlers.js';

/**
 * Every contract method, one group per noun, composed here and only here. Handlers translate; the workspace
 * decides. `MethodHandlers` makes a method without a handler a compile error.
 */
export function createMethodHandlers(services: DaemonServices): MethodHandlers<ConnectionContext> {
  return {
    ...createDaemonHandlers(services),
    ...createSnapshotHandlers(services),
    ...createAssetsHandlers(services),
    ...createMutationHandlers(services),
    ...createOperationsHandlers(services),
    ...createEventsHandlers(services),
    ...createBuildHandlers(services),
    ...createPacksHandlers(services),
    ...createAuditHandlers(services),
    ...createCacheHandlers(services),
  };
}
