import { listPackEntries, listPacks, resolvePack, verifyPackFiles } from '@packer/core';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';

type PacksMethod = 'packs.list' | 'packs.entries' | 'packs.verify';

/** Pack reads, answered from the files in the build folder without waiting for the lane. */
export function createPacksHandlers({
  workspace,
}: Pick<DaemonServices, 'workspace'>): Pick<MethodHandlers<ConnectionContext>, PacksMethod> {
  return {
    'packs.list': () => listPacks(workspace.root, workspace.config, workspace.snapshot.lastBuilds),
    'packs.entries': (params) => listPackEntries(resolvePack(workspace.root, workspace.config, params.pack), params),
    'packs.verify': (params) => verifyPackFiles(resolvePack(workspace.root, workspace.config, params.pack)),
  };
}
