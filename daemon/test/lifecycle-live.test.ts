import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectToDaemon, projectFiles } from '@packer/client';
import { copyFixture } from '@packer/fixtures';
import { testDaemonEntryPoint } from '@packer/daemon/testing';
import { Daemon } from '../src/daemon.js';
import { PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import { parseCursor } from '@packer/core/contract';
import {
  RawSocket,
  isDaemonAlive,
  startDaemon,
  stopDaemon,
  waitReady,
  type Answer,
  type DaemonProcess,
} from './support/daemon-harness.js';

// A daemon is live (it listens and answers hello, health and shutdown) before it is ready (its project open): a
// warm open of 100,000 files takes seconds, and `packer daemon start` returns at live (issue 11, warm open). Real
// daemon processes; the test hook holds the open until SIGUSR2, so what a live daemon answers is seen for certain.

const daemons: DaemonProcess[] = [];

afterEach(async () => {
  for (const daemon of daemons.splice(0)) await stopDaemon(daemon);
});

async function heldDaemon(env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const daemon = await startDaemon({ live: true, env: { PACKER_TEST_HOLD_OPEN: '1', ...env } });
  daemons.push(daemon);
  return daemon;
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 10));

function request(id: string, method: string, params: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
}

/** The answer with this id, once it has arrived. */
async function answerTo(raw: RawSocket, id: string): Promise<Answer> {
  for (let count = 1; ; count++) {
    const messages = (await raw.waitForMessages(count, 60_000)) as Answer[];
    const answer = messages.find((message) => message.id === id);
    if (answer) return answer;
    if (raw.closed) throw new Error(`connection closed before the answer to ${id}`);
  }
}

describe('a daemon live before it is ready', { timeout: 60_000 }, () => {
  it('answers hello and health at once, holds every other request until its project is open, then answers it', async () => {
    const daemon = await heldDaemon();
    const raw = await RawSocket.connect(daemon.socketPath);
    try {
      // The summary goes out first; health, sent after it, is answered while the summary still waits for the open.
      raw.send(request('summary', 'snapshot.summary'));
      raw.send(request('hello', 'daemon.hello', { client: 'live-test', protocolVersion: PROTOCOL_VERSION }));
      raw.send(request('health', 'daemon.health'));
      const health = await answerTo(raw, 'health');
      expect(health.result).toMatchObject({ live: true, ready: false, revision: 0, laneDepth: 0, pid: daemon.pid });
      expect((await answerTo(raw, 'hello')).result).toMatchObject({ pid: daemon.pid, projectName: 'sample-game' });
      expect(raw.messages.map((message) => (message as Answer).id)).not.toContain('summary');

      daemon.child.kill('SIGUSR2');
      const summary = await answerTo(raw, 'summary');
      expect(summary.error).toBeUndefined();
      const revision = (summary.result as { revision: number }).revision;
      expect(revision).toBeGreaterThan(0);
      expect(summary.result).toMatchObject({ summary: { assets: 45 } });
      raw.send(request('health-after', 'daemon.health'));
      expect((await answerTo(raw, 'health-after')).result).toMatchObject({ ready: true, revision });
      expect(await waitReady(daemon.socketPath)).toBe(revision);
      // Hello was answered before the daemon's start-up events; daemon.ready's cursor is past them.
      raw.send(request('ready', 'daemon.ready'));
      const { cursor } = (await answerTo(raw, 'ready')).result as { cursor: string };
      const helloCursor = ((await answerTo(raw, 'hello')).result as { cursor: string }).cursor;
      expect(parseCursor(cursor).seq).toBeGreaterThan(parseCursor(helloCursor).seq);
    } finally {
      raw.close();
    }
  });

  it('gives a client that asks for live (`ready: false`) its connection at once; by default connect waits for ready', async () => {
    const daemon = await heldDaemon();
    let released = false;
    const readyClient = connectToDaemon(daemon.root, { client: 'ready-test', autoStart: false }).then((connected) => {
      // Resolving before the open was let go would be a connect that does not wait for ready.
      expect(released).toBe(true);
      return connected;
    });
    const live = await connectToDaemon(daemon.root, { client: 'live-test', autoStart: false, ready: false });
    expect(await live.connection.call('daemon.health', {})).toMatchObject({ ready: false });
    released = true;
    daemon.child.kill('SIGUSR2');
    const ready = await readyClient;
    expect(await ready.connection.call('daemon.health', {})).toMatchObject({ ready: true });
    expect(await live.connection.call('daemon.health', {})).toMatchObject({ ready: true });
    live.connection.close();
    ready.connection.close();
  });

  it('answers the requests that waited with the error of an open that failed, then exits and leaves no socket or lock', async () => {
    const daemon = await heldDaemon({ PACKER_TEST_FAIL_OPEN: '1' });
    const raw = await RawSocket.connect(daemon.socketPath);
    // A second client that only said hello and stays connected (a Studio, a `packer top`): the daemon must not wait
    // for it to go before it exits.
    const idle = await RawSocket.connect(daemon.socketPath);
    try {
      idle.send(request('hello', 'daemon.hello', { client: 'idle', protocolVersion: PROTOCOL_VERSION }));
      await answerTo(idle, 'hello');
      raw.send(request('summary', 'snapshot.summary'));
      raw.send(request('health', 'daemon.health'));
      await answerTo(raw, 'health');
      daemon.child.kill('SIGUSR2');
      const summary = await answerTo(raw, 'summary');
      expect(summary.error?.data?.code).toBe('IO_ERROR');
      expect(summary.error?.message).toContain('Injected failure of the open');
      expect(await daemon.exited).toEqual({ code: 1, signal: null });
    } finally {
      raw.close();
      idle.close();
    }
    const files = projectFiles(daemon.root);
    expect(existsSync(files.socketPath)).toBe(false);
    expect(existsSync(files.lockDir)).toBe(false);
    // Nothing stale is left in the way: the next daemon starts and is ready.
    const next = await startDaemon({ root: daemon.root });
    daemons.push(next);
    expect(isDaemonAlive(next.pid)).toBe(true);
  });

  it('stops gracefully when asked to while opening: the stop waits for the open, then exits 0', async () => {
    const daemon = await heldDaemon();
    const raw = await RawSocket.connect(daemon.socketPath);
    try {
      raw.send(request('stop', 'daemon.shutdown', { reason: 'test stop while opening' }));
      expect((await answerTo(raw, 'stop')).result).toEqual({ stopping: true });
      expect(isDaemonAlive(daemon.pid)).toBe(true);
      daemon.child.kill('SIGUSR2');
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
    } finally {
      raw.close();
    }
    expect(existsSync(projectFiles(daemon.root).socketPath)).toBe(false);
  });

  it('exits 0 and re-creates nothing when its project folder is deleted while it opens', async () => {
    const daemon = await heldDaemon();
    rmSync(daemon.root, { recursive: true, force: true });
    daemon.child.kill('SIGUSR2');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(daemon.root)).toBe(false);
  });

  it('a daemon that lost the lock stops at once when asked: it never opened, so there is no open to wait for', async () => {
    const root = await copyFixture('sample-game');
    const first = new Daemon({ projectRoot: root, listen: false, watch: false, idleTimeoutMs: 0 });
    await first.start();
    const second = new Daemon({ projectRoot: root, listen: false, watch: false, idleTimeoutMs: 0 });
    try {
      await expect(second.start()).rejects.toMatchObject({ code: 'NOT_READY' });
      await second.shutdown('test');
      expect(second.ready).toBe(false);
    } finally {
      await first.shutdown('test');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('stops without the open when asked to while an open stalls past its bound: socket, endpoint and lock go', async () => {
    const daemon = await heldDaemon({ PACKER_TEST_STOP_WHILE_OPENING_MS: '300' });
    const raw = await RawSocket.connect(daemon.socketPath);
    try {
      raw.send(request('stop', 'daemon.shutdown', { reason: 'test stop while stalled' }));
      expect((await answerTo(raw, 'stop')).result).toEqual({ stopping: true });
      // Never released: the open stays held, and the stop goes on without it.
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
    } finally {
      raw.close();
    }
    const files = projectFiles(daemon.root);
    expect(existsSync(files.socketPath)).toBe(false);
    expect(existsSync(files.lockDir)).toBe(false);
  });

  it('a client waiting for ready when the daemon dies during its open is not left with a lost connection', async () => {
    const daemon = await heldDaemon();
    const waiting = connectToDaemon(daemon.root, { client: 'waits', autoStart: false });
    const live = await connectToDaemon(daemon.root, { client: 'live', autoStart: false, ready: false });
    // The waiting client is connected too before the kill (two connections), so it is its daemon.ready that is cut.
    while ((await live.connection.call('daemon.health', {})).connections < 2) await turn();
    live.connection.close();
    daemon.child.kill('SIGKILL');
    // Without autoStart: no daemon is running any more, said as such (not CONNECTION_LOST from the middle of connect).
    await expect(waiting).rejects.toMatchObject({ code: 'NOT_READY' });
    // With it, a new daemon is started and answers once ready.
    const again = await connectToDaemon(daemon.root, { client: 'again', daemonEntryPoint: testDaemonEntryPoint() });
    try {
      expect(again.hello.pid).not.toBe(daemon.pid);
      expect(await again.connection.call('daemon.health', {})).toMatchObject({ ready: true });
    } finally {
      await again.connection.call('daemon.shutdown', {});
      again.connection.close();
      // Gone before afterEach removes the project: a daemon still stopping writes its log and events there.
      while (isDaemonAlive(again.hello.pid)) await turn();
    }
  });
});
