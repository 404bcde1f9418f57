import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import { getAsset, listAssets } from './read-handlers.js';
import { readState, type SnapshotServices } from './snapshot-handlers.js';

type AssetsMethod = 'assets.list' | 'assets.get';

/** Asset reads, answered from one snapshot state. */
export function createAssetsHandlers(
  services: SnapshotServices,
): Pick<MethodHandlers<ConnectionContext>, AssetsMethod> {
  const root = services.workspace.root;
  return {
    'assets.list': async (params) => listAssets(await readState(services, params.sync), root, params),
    'assets.get': async (params) => getAsset(await readState(services, params.sync), root, params.ref),
  };
}
