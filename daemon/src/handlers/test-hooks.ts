import { z } from 'zod';
import { PackerError } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { Daemon } from '../daemon.js';
import type { ExtraMethods } from '../rpc/rpc-server.js';

/**
 * Methods only served when PACKER_TEST_HOOKS=1, for end-to-end tests that need a long lane operation with
 * many progress events. Not part of the contract.
 */
export function testHookMethods(daemon: Daemon): ExtraMethods<ConnectionContext> {
  return {
    'test.longOperation': {
      params: z.object({ progressEvents: z.number().int().min(0).max(1_000_000), holdUntilCancelled: z.boolean().default(false) }),
      handler: (raw) => {
        const params = raw as { progressEvents: number; holdUntilCancelled: boolean };
        const { operationId, done } = daemon.lane.enqueue({
          kind: 'rescan',
          summary: `test operation (${params.progressEvents} progress events)`,
          run: async (operation) => {
            for (let done = 1; done <= params.progressEvents; done++) {
              if (operation.signal.aborted) throw new PackerError('CANCELLED', 'test operation cancelled', { operationId: operation.operationId });
              operation.progress({ done, total: params.progressEvents, current: `item-${done}` });
              if (done % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
            }
            if (params.holdUntilCancelled) {
              await new Promise((_, reject) => {
                const onAbort = () => reject(new PackerError('CANCELLED', 'test operation cancelled', { operationId: operation.operationId }));
                if (operation.signal.aborted) onAbort();
                else operation.signal.addEventListener('abort', onAbort, { once: true });
              });
            }
            return { revisionAfter: daemon.workspace.snapshot.revision, result: { progressEvents: params.progressEvents } };
          },
        });
        done.catch(() => undefined);
        return { operationId };
      },
    },
  };
}
