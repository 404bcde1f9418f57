import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectClient,
  EventRecorder,
  longOperation,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from './support/daemon-harness.js';

/**
 * Test-only code stays out of the production daemon: the `packer-daemon` bin serves no test method and reads no
 * test variable, even when the environment sets them; the test bin (`packer-daemon-test`) does both.
 */
let daemon: DaemonProcess | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

const TEST_ENV = { PACKER_TEST_HOOKS: '1', PACKER_TEST_CRASH_AT: 'journal-written' };

describe('the production daemon bin', () => {
  it('serves no test method, whatever the environment says', async () => {
    daemon = await startDaemon({ production: true, env: TEST_ENV });
    await expect(longOperation(daemon.root, { progressEvents: 1 })).rejects.toMatchObject({
      name: 'PackerError',
      code: 'METHOD_NOT_FOUND',
    });
  });

  it('does not crash at PACKER_TEST_CRASH_AT: the move commits and the daemon stays up', async () => {
    daemon = await startDaemon({ production: true, env: TEST_ENV });
    const client = await connectClient(daemon.root);
    closers.push(() => client.close());
    const result = await client.call('mutation.apply', {
      mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
    });
    expect(result.revisionAfter).toBeGreaterThan(result.revisionBefore);
    const registry = readFileSync(path.join(daemon.root, 'packer.registry.json'), 'utf8');
    expect(registry).toContain('"assets/sprites/bat.png"');
    expect(daemon.child.exitCode).toBeNull();
    expect((await client.call('daemon.health', {})).live).toBe(true);
  });
});

describe('the test daemon bin', () => {
  it('serves test.longOperation, whose lifecycle events carry a contract kind', async () => {
    daemon = await startDaemon();
    const client = await connectClient(daemon.root);
    closers.push(() => client.close());
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const operationId = await longOperation(daemon.root, { progressEvents: 5 });
    const terminal = await recorder.terminalOf(operationId);
    expect(terminal).toMatchObject({ type: 'completed', payload: { kind: 'build', result: { progressEvents: 5 } } });
  });

  it('kills itself at PACKER_TEST_CRASH_AT', async () => {
    daemon = await startDaemon({ env: { PACKER_TEST_CRASH_AT: 'journal-written' } });
    const client = await connectClient(daemon.root);
    closers.push(() => client.close().catch(() => undefined));
    await expect(
      client.call('mutation.apply', {
        mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
      }),
    ).rejects.toThrow(/closed/);
    expect(await daemon.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
