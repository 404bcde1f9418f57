import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';

/** The audit log of commit-bearing operations, newest first. */
export function createAuditHandlers({ workspace }: Pick<DaemonServices, 'workspace'>): Pick<MethodHandlers<ConnectionContext>, 'audit.list'> {
  return {
    'audit.list': (params) => ({
      items: workspace.audit.list({ ...(params.limit ? { limit: params.limit } : {}), ...(params.operationId ? { operationId: params.operationId } : {}) }),
    }),
  };
}
