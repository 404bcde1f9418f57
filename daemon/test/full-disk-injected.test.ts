import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { afterEachFreeDisk } from './support/injected-full-disk.js';
import type { EventEnvelope } from '@packer/core/contract';

// An injected full disk, for the cases a real tmpfs cannot pin down: while `disk.full`, every write through a
// descriptor (event-log appends, atomic writes, audit appends) fails with ENOSPC. Paths-based appends (the log) go on.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./support/full-disk-fs.js')).fsWithFullDisk(await importOriginal(), disk),
);

const { Daemon } = await import('../src/daemon.js');
const { RpcConnection } = await import('@packer/client');

const { roots, daemons } = afterEachFreeDisk(disk);

async function startInProcess() {
  const root = await copyFixture('sample-game');
  roots.push(root);
  let stopped: string | undefined;
  const daemon = new Daemon({
    projectRoot: root,
    listen: false,
    watch: false,
    idleTimeoutMs: 0,
    onStopped: (reason) => (stopped = reason),
  });
  await daemon.start();
  daemons.add(daemon);
  const rpc = new RpcConnection(daemon.connectInProcess());
  await rpc.call('daemon.hello', { client: 'full-disk-injected', protocolVersion: 1 }).catch(() => undefined);
  // What a live subscriber receives: every event, as it is published.
  const events: EventEnvelope[] = [];
  rpc.onNotification('events.event' as never, (params) => events.push((params as { event: EventEnvelope }).event));
  daemon.events.onAppend((event) => events.includes(event) || events.push(event));
  return { root, daemon, rpc, events, stopped: () => stopped };
}

describe('a daemon whose event log cannot be written (injected ENOSPC)', () => {
  it('fails the operation with IO_ERROR, still sends its terminal event to live subscribers, says degraded, and recovers', async () => {
    const { root, daemon, rpc, events } = await startInProcess();
    writeFileSync(path.join(root, 'assets/data/new-level.json'), '{"level":4}');
    disk.full = true;
    const error = await rpc
      .call('mutation.apply', { mutation: { type: 'register', paths: ['assets/data/new-level.json'] } })
      .then(
        () => undefined,
        (caught: { code?: string; message: string; data?: { path?: string } }) => caught,
      );
    expect(error?.code).toBe('IO_ERROR');
    expect(error?.data?.path).toBeTruthy();
    expect(error?.message).toContain(error!.data!.path!);
    const failed = events.find((event) => event.type === 'failed');
    expect(failed, `terminal event; saw ${events.map((event) => event.type).join(', ')}`).toBeDefined();
    expect((failed!.payload as { error: { code: string } }).error.code).toBe('IO_ERROR');

    const health = await rpc.call('daemon.health', {});
    expect(health.live).toBe(true);
    expect(health.storage?.state).toBe('degraded');
    expect(health.storage?.warnings.find((warning) => warning.store === 'event-log')).toMatchObject({
      errno: 'ENOSPC',
    });
    expect(health.storage?.warnings.find((warning) => warning.store === 'event-log')!.pending).toBeGreaterThanOrEqual(
      3,
    );

    disk.full = false;
    await vi.waitFor(
      async () => expect((await rpc.call('daemon.health', {})).storage).toEqual({ state: 'ok', warnings: [] }),
      { timeout: 10_000, interval: 50 },
    );
    // The held events reached the disk in order: a replay from the start has them all, terminal event included.
    const replay = daemon.events.readSince(0);
    expect('events' in replay && replay.events.some((event) => event.cursor === failed!.cursor)).toBe(true);
    await daemon.shutdown('test done');
  });

  it('completes a shutdown whose last event cannot be appended and whose workspace close throws: lock released, onStopped called', async () => {
    const { daemon, stopped } = await startInProcess();
    disk.full = true;
    daemon.workspace.close = () => Promise.reject(new Error('close failed'));
    await expect(daemon.shutdown('SIGTERM')).resolves.toBeUndefined();
    expect(stopped()).toBe('SIGTERM');
    expect(existsSync(daemon.files.lockDir)).toBe(false);
    // A fresh daemon can take the project at once.
    disk.full = false;
    const next = new Daemon({ projectRoot: daemon.files.projectRoot, listen: false, watch: false, idleTimeoutMs: 0 });
    await next.start();
    daemons.add(next);
    // The held `daemon.stopping` event was lost with the process, and the log says so by where it resumes.
    expect(next.events.lastSeq).toBeGreaterThan(0);
    await next.shutdown('test done');
    expect(existsSync(path.join(daemon.files.lockDir))).toBe(false);
  });
});
