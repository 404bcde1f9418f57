import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { afterEachFreeDisk } from './support/injected-full-disk.js';
import { parseCursor, PROTOCOL_VERSION, type EventEnvelope } from '@packer/core/contract';

// An injected full disk (as in full-disk-injected.test.ts): while `disk.full`, every write through a descriptor
// fails with ENOSPC, so the event log numbers and publishes events but holds them in memory.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./support/full-disk-fs.js')).fsWithFullDisk(await importOriginal(), disk),
);

const { Daemon } = await import('../src/daemon.js');
const { EventLog } = await import('../src/events/event-log.js');
const { RpcConnection } = await import('@packer/client/browser');

const { roots, daemons: running } = afterEachFreeDisk(disk);

async function start(root: string) {
  const daemon = new Daemon({ projectRoot: root, listen: false, watch: false, idleTimeoutMs: 0 });
  await daemon.start();
  running.add(daemon);
  const rpc = new RpcConnection(daemon.connectInProcess());
  await rpc.call('daemon.hello', { client: 'cursor-reuse', protocolVersion: PROTOCOL_VERSION });
  return { daemon, rpc };
}

async function subscribeError(
  rpc: InstanceType<typeof RpcConnection>,
  since: string,
): Promise<{ code?: string; message: string } | undefined> {
  return rpc.call('events.subscribe', { since }).then(
    () => undefined,
    (error: { code?: string; message: string }) => error,
  );
}

describe('cursors of events a full disk held when the daemon stopped', () => {
  it('are reported CURSOR_EXPIRED by the next daemon once it numbers its own events alike, never silently resumed', async () => {
    const root = await copyFixture('sample-game');
    roots.push(root);
    const first = await start(root);
    const seen: EventEnvelope[] = [];
    first.rpc.onNotification('events.event' as never, (params) =>
      seen.push((params as { event: EventEnvelope }).event),
    );
    await first.rpc.call('events.subscribe', {});
    // Written while the disk takes it: a cursor whose event is on disk.
    await first.rpc.call('mutation.apply', {
      mutation: { type: 'update', target: 'assets/data/items.json', addTags: ['before'] },
    });
    await vi.waitFor(() => expect(seen.some((event) => event.type === 'completed')).toBe(true));
    const durable = seen.at(-1)!.cursor;

    // The disk fills: the next operation's events reach the subscriber but stay in memory, and are lost at exit.
    disk.full = true;
    writeFileSync(path.join(root, 'assets/data/late.json'), '{}');
    await first.rpc
      .call('mutation.apply', { mutation: { type: 'register', paths: ['assets/data/late.json'] } })
      .catch(() => undefined);
    await vi.waitFor(() => expect(first.daemon.events.writeProblem?.pending).toBeGreaterThan(0));
    const lost = seen.at(-1)!.cursor;
    expect(parseCursor(lost).seq).toBeGreaterThan(parseCursor(durable).seq);
    first.rpc.close();
    await first.daemon.shutdown('test: stop with events held');
    running.delete(first.daemon);
    disk.full = false;

    // The next daemon starts from the last seq on disk and numbers its own events past the lost one.
    const second = await start(root);
    for (let tag = 0; second.daemon.events.lastSeq <= parseCursor(lost).seq + 2 && tag < 20; tag++) {
      await second.rpc.call('mutation.apply', {
        mutation: { type: 'update', target: 'assets/data/items.json', addTags: [`after-${tag}`] },
      });
    }
    expect(second.daemon.events.lastSeq).toBeGreaterThan(parseCursor(lost).seq);

    const error = await subscribeError(second.rpc, lost);
    expect(error?.code).toBe('CURSOR_EXPIRED');
    expect(error?.message).toContain(lost);

    // A cursor whose event did reach the disk still resumes across the restart, replaying what came after it.
    const resumed = await second.rpc.call('events.subscribe', { since: durable });
    expect(resumed).toMatchObject({ restarted: true });
    expect(resumed.replayed).toBe(second.daemon.events.lastSeq - parseCursor(durable).seq);
    second.rpc.close();
  });
});

describe('EventLog.cursorStatus', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const logDir = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-cursor-status-'));
    dirs.push(dir);
    return dir;
  };
  const append = (log: InstanceType<typeof EventLog>) =>
    log.append({ type: 'daemon.stopping', payload: { reason: 'test' } });

  it("honours the previous generation's cursors on disk and a hello cursor handed out before the first event", () => {
    const dir = logDir();
    const one = EventLog.open(dir);
    const a = append(one);
    const hello = one.lastCursor;
    one.close();
    const two = EventLog.open(dir);
    const helloTwo = parseCursor(two.lastCursor); // this generation, the previous one's last seq
    append(two);
    expect(two.cursorStatus(parseCursor(a.cursor).generation, parseCursor(a.cursor).seq)).toBe('ok');
    expect(two.cursorStatus(parseCursor(hello).generation, parseCursor(hello).seq)).toBe('ok');
    expect(two.cursorStatus(helloTwo.generation, helloTwo.seq)).toBe('ok');
    two.close();
    const three = EventLog.open(dir);
    expect(three.cursorStatus(helloTwo.generation, helloTwo.seq)).toBe('ok');
    expect(three.cursorStatus(parseCursor(three.lastCursor).generation, three.lastSeq + 1)).toBe('past-end');
    three.close();
  });

  it('reports a cursor from a wiped log, once the new log has grown past its seq, as reused', () => {
    const dir = logDir();
    // A few daemon starts, then `rm -rf .packer`: the new log starts again at generation 1, seq 1.
    let stale = parseCursor('0.0');
    for (let start = 0; start < 4; start++) {
      const old = EventLog.open(dir);
      append(old);
      stale = parseCursor(append(old).cursor);
      old.close();
    }
    rmSync(dir, { recursive: true, force: true });
    const fresh = EventLog.open(dir);
    while (fresh.lastSeq < stale.seq + 2) append(fresh);
    expect(fresh.generation).toBeLessThan(stale.generation);
    expect(fresh.cursorStatus(stale.generation, stale.seq)).toBe('reused');
    fresh.close();
  });
});
