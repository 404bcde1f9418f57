import { z } from 'zod';
import { PackerError } from '@packer/core/contract';
import { OperationKind } from '@packer/core/contract';
import type { ConnectionContext } from '../connection-context.js';
import type { DaemonServices } from '../handlers/daemon-services.js';
import type { ExtraMethods } from '../rpc/rpc-server.js';

/** The method the test entry serves next to the contract; not part of the contract. */
export const TEST_OPERATION_METHOD = 'test.longOperation';

export const TestOperationParams = z.object({
  progressEvents: z.number().int().min(0).max(1_000_000),
  holdUntilCancelled: z.boolean().default(false),
  /** The kind its lifecycle events carry (default `build`, the packer's own long operation with progress). */
  kind: OperationKind.default('build'),
});
export type TestOperationParams = z.input<typeof TestOperationParams>;

/**
 * `test.longOperation`: a lane operation with as many progress events as asked for, optionally held until
 * cancelled, for end-to-end tests of the lane, events and slow subscribers. Served only by the test entry.
 */
export function testOperationMethods({
  lane,
  workspace,
}: Pick<DaemonServices, 'lane' | 'workspace'>): ExtraMethods<ConnectionContext> {
  return {
    [TEST_OPERATION_METHOD]: {
      params: TestOperationParams,
      handler: (raw) => {
        const params = TestOperationParams.parse(raw);
        const cancelled = (operationId: string) =>
          new PackerError('CANCELLED', 'test operation cancelled', { operationId });
        const { operationId, done } = lane.enqueue({
          kind: params.kind,
          summary: `test operation (${params.progressEvents} progress events)`,
          run: async (operation) => {
            for (let done = 1; done <= params.progressEvents; done++) {
              if (operation.signal.aborted) throw cancelled(operation.operationId);
              operation.progress({ done, total: params.progressEvents, current: `item-${done}` });
              if (done % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
            }
            if (params.holdUntilCancelled) {
              await new Promise((_, reject) => {
                const onAbort = () => reject(cancelled(operation.operationId));
                if (operation.signal.aborted) onAbort();
                else operation.signal.addEventListener('abort', onAbort, { once: true });
              });
            }
            return { revisionAfter: workspace.snapshot.revision, result: { progressEvents: params.progressEvents } };
          },
        });
        done.catch(() => undefined);
        return { operationId };
      },
    },
  };
}
