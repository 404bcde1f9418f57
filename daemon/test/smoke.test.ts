import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { connectClient, EventRecorder, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
afterEach(async () => {
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

describe('daemon end to end', () => {
  it('answers reads, applies a previewed move through the lane and orders its events', async () => {
    daemon = await startDaemon();
    const client = await connectClient(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const plan = await client.call('mutation.preview', {
      mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
    });
    expect(plan.blockers).toEqual([]);
    const result = await client.call('mutation.apply', {
      mutation: plan.mutation,
      expectedRevision: plan.baseRevision,
    });
    expect(result.revisionAfter).toBe(plan.baseRevision + 1);
    const terminal = await recorder.terminalOf(result.operationId);
    expect(terminal.type).toBe('completed');
    expect((terminal.payload as { result: { revisionAfter: number } }).result.revisionAfter).toBe(result.revisionAfter);
    const lifecycle = recorder.events.filter((event) => event.operationId === result.operationId);
    expect(lifecycle.map((event) => event.type)).toEqual(['queued', 'started', 'completed']);
    expect(lifecycle.map((event) => event.sequence)).toEqual([1, 2, 3]);
    await client.close();
  });

  it('shows a file deleted just before a synced read, every time', async () => {
    daemon = await startDaemon();
    const client = await connectClient(daemon.root);
    const assets = await client.call('assets.list', { status: 'present', kind: 'image', limit: 10 });
    for (const item of assets.items.slice(0, 5)) {
      rmSync(path.join(daemon.root, item.path));
      const summary = await client.call('assets.get', { ref: item.path, sync: true });
      expect(summary.asset.status).toBe('missing');
    }
    await client.close();
  });
});
