import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';

type OperationsMethod = 'operations.list' | 'operations.get' | 'operations.cancel';

/** The lane's operations: what runs, what waits, what ended recently; and cancelling one. */
export function createOperationsHandlers({
  lane,
}: Pick<DaemonServices, 'lane'>): Pick<MethodHandlers<ConnectionContext>, OperationsMethod> {
  return {
    'operations.list': () => ({ items: lane.list() }),
    'operations.get': (params) => lane.get(params.operationId),
    'operations.cancel': (params) => ({ operationId: params.operationId, state: lane.cancel(params.operationId) }),
  };
}
