import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import type { DaemonServices } from './daemon-services.js';
import { describeMutation } from './describe-mutation.js';
import { readState } from './snapshot-handlers.js';

type MutationMethod = 'mutation.preview' | 'mutation.apply';

/** Preview off the lane (pure), apply in the lane; the workspace decides, these translate. */
export function createMutationHandlers(services: Pick<DaemonServices, 'workspace' | 'lane' | 'syncWithDisk' | 'publishState'>): Pick<MethodHandlers<ConnectionContext>, MutationMethod> {
  const { workspace, lane } = services;
  return {
    'mutation.preview': async (params) => {
      await readState(services, params.sync);
      return workspace.preview(params.mutation);
    },
    'mutation.apply': async (params, context) => {
      const { mutation, expectedRevision, idempotencyKey } = params;
      const { done } = lane.enqueue({
        kind: mutation.type,
        summary: describeMutation(mutation),
        actor: context.actor,
        run: async (operation) => {
          try {
            const result = await workspace.apply(mutation, {
              expectedRevision,
              idempotencyKey,
              operationId: operation.operationId,
              actor: context.actor,
              signal: operation.signal,
            });
            return { revisionAfter: result.revisionAfter, result };
          } finally {
            services.publishState(mutation.type);
          }
        },
      });
      return done;
    },
  };
}
