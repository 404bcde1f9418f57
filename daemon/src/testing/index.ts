// @packer/daemon/testing: the production daemon composed with test hooks, for end-to-end tests and benchmarks.
// Nothing here is reachable from the production bin or from `@packer/daemon`.
import { fileURLToPath } from 'node:url';
import { PackerError } from '@packer/core/contract/runtime';
import type { DaemonHooks } from '../daemon-hooks.js';
import { crashHooksAt } from './crash-hooks.js';
import { testOperationMethods } from './test-operation.js';

export { crashHooksAt } from './crash-hooks.js';
export { TEST_OPERATION_METHOD, TestOperationParams, testOperationMethods } from './test-operation.js';
export { callTestOperation, connectTestHooks, type TestHooksConnection } from './test-operation-client.js';
export type { DaemonHooks } from '../daemon-hooks.js';

/**
 * The hooks the test bin runs with: `test.longOperation`, and a crash at `crashAt` when given. `holdOpen`: the daemon
 * is live but does not open its project until it gets SIGUSR2 (a test sees what a live daemon answers before it is
 * ready); `failOpen`: the open then fails with an IO_ERROR; `stopWhileOpeningMs`: how long a stop waits for an open.
 */
export function testHooks(
  options: {
    crashAt?: string | undefined;
    holdOpen?: boolean;
    failOpen?: boolean;
    stopWhileOpeningMs?: number | undefined;
  } = {},
): DaemonHooks {
  const held = options.holdOpen ? new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve())) : undefined;
  return {
    methods: testOperationMethods,
    ...crashHooksAt(options.crashAt),
    ...(options.stopWhileOpeningMs !== undefined ? { stopWhileOpeningMs: options.stopWhileOpeningMs } : {}),
    ...(held || options.failOpen
      ? {
          beforeOpen: async () => {
            await held;
            if (options.failOpen) throw new PackerError('IO_ERROR', 'Injected failure of the open (test hook).');
          },
        }
      : {}),
  };
}

/**
 * The test bin (`packer-daemon-test`): the production daemon plus `testHooks`, the crash point read from
 * PACKER_TEST_CRASH_AT. Fork it where a test would fork the `packer-daemon` bin, or pass it to
 * `ProjectClient.connect({ daemonEntryPoint })` so auto-started daemons are test daemons too.
 */
export function testDaemonEntryPoint(): string {
  // From dist/testing or src/testing alike: the compiled bin.
  return fileURLToPath(new URL('../../dist/bin/packer-daemon-test.js', import.meta.url));
}
