import type { SnapshotState } from '@packer/core';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';
import { listDiagnostics, listDivergence, snapshotSummary } from './read-handlers.js';

type SnapshotMethod = 'snapshot.summary' | 'snapshot.get' | 'diagnostics.list' | 'divergence.list';
export type SnapshotServices = Pick<DaemonServices, 'workspace' | 'syncWithDisk'>;

/** The current state; with `sync`, after every disk change made before the request. One object: never torn. */
export async function readState(services: SnapshotServices, sync: boolean | undefined): Promise<SnapshotState> {
  if (sync) await services.syncWithDisk();
  return services.workspace.state;
}

/** Whole-snapshot reads: the summary, the snapshot itself, its diagnostics and divergence (paged). They never wait for
 * the lane. */
export function createSnapshotHandlers(
  services: SnapshotServices,
): Pick<MethodHandlers<ConnectionContext>, SnapshotMethod> {
  return {
    'snapshot.summary': async (params) => snapshotSummary(await readState(services, params.sync)),
    'snapshot.get': async (params) => (await readState(services, params.sync)).snapshot,
    'diagnostics.list': async (params) => listDiagnostics(await readState(services, params.sync), params),
    'divergence.list': async (params) => listDivergence(await readState(services, params.sync), params),
  };
}
