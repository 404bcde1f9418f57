import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import type { EventEnvelope } from '@packer/core/contract';
import { DaemonClient, RpcConnection, type Transport } from '@packer/client/browser';
import {
  connectClient,
  EventRecorder,
  longOperation,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

function endpointOf(root: string): { url: string; token: string } {
  const { url } = JSON.parse(readFileSync(path.join(root, '.packer', 'ws.json'), 'utf8')) as { url: string };
  return { url, token: readFileSync(path.join(root, '.packer', 'ws-token'), 'utf8') };
}

function openWebSocket(root: string): Promise<WebSocket> {
  const { url, token } = endpointOf(root);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${token}`, { maxPayload: MAX_FRAME_BYTES * 2 });
    closers.push(() => ws.terminate());
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A client-side Transport over a `ws` socket: one JSON text per message. */
function clientTransport(ws: WebSocket): Transport {
  let closed = false;
  const closeListeners: ((error?: Error) => void)[] = [];
  ws.on('close', () => {
    closed = true;
    for (const listener of closeListeners) listener();
  });
  return {
    send: (message) => (ws.readyState === ws.OPEN ? (ws.send(message), true) : false),
    onMessage: (listener) => void ws.on('message', (data) => listener(data.toString())),
    onDrain: () => () => undefined,
    onClose: (listener) => void closeListeners.push(listener),
    onFramingError: () => undefined,
    close: () => ws.close(),
    get closed() {
      return closed;
    },
  };
}

/** The same DaemonClient the CLI uses, with a connector over the WebSocket. */
async function webSocketClient(root: string, name = 'ws-test'): Promise<DaemonClient> {
  const client = new DaemonClient(
    async () => {
      const connection = new RpcConnection(clientTransport(await openWebSocket(root)));
      const hello = await connection.call('daemon.hello', { client: name, protocolVersion: PROTOCOL_VERSION });
      return { connection, hello };
    },
    { reconnect: false },
  );
  closers.push(() => client.close());
  return client.open();
}

describe('JSON-RPC over the WebSocket', () => {
  it('answers exactly as the socket does, and delivers events', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const socketClient = await connectClient(daemon.root);
    closers.push(() => socketClient.close());
    const wsClient = await webSocketClient(daemon.root);

    expect(wsClient.hello.projectRoot).toBe(socketClient.hello.projectRoot);
    expect(wsClient.hello.pid).toBe(daemon.pid);
    expect(await wsClient.call('snapshot.summary', {})).toEqual(await socketClient.call('snapshot.summary', {}));
    expect(await wsClient.call('assets.get', { ref: 'assets/sprites/enemies/bat.png' })).toEqual(
      await socketClient.call('assets.get', { ref: 'assets/sprites/enemies/bat.png' }),
    );
    const missing = await wsClient.call('assets.get', { ref: 'assets/nope.png' }).catch((error: unknown) => error);
    expect(missing).toMatchObject({ name: 'PackerError', code: 'NOT_FOUND' });
    // Params the contract's types refuse, sent anyway: the daemon checks them too.
    const badParams = await wsClient.call('assets.get', { ref: 42 } as never).catch((error: unknown) => error);
    expect(badParams).toMatchObject({ code: 'INVALID_PARAMS' });

    const overWebSocket = new EventRecorder();
    await wsClient.subscribe({ onEvent: overWebSocket.onEvent });
    const overSocket = new EventRecorder();
    await socketClient.subscribe({ onEvent: overSocket.onEvent });
    const plan = await wsClient.call('mutation.preview', {
      mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
    });
    const result = await wsClient.call('mutation.apply', {
      mutation: plan.mutation,
      expectedRevision: plan.baseRevision,
    });
    const viaWebSocket = await overWebSocket.terminalOf(result.operationId);
    expect(viaWebSocket.type).toBe('completed');
    await overSocket.terminalOf(result.operationId);
    const lifecycle = (events: EventEnvelope[]) => events.filter((event) => event.operationId === result.operationId);
    expect(lifecycle(overWebSocket.events)).toEqual(lifecycle(overSocket.events));
    await overWebSocket.waitFor(
      (events) =>
        events.some(
          (event) =>
            event.type === 'snapshot.changed' &&
            (event.payload as { revision: number }).revision === result.revisionAfter,
        ),
      15_000,
      'snapshot.changed',
    );
    const audit = await socketClient.call('audit.list', { operationId: result.operationId });
    expect(audit.items[0]?.actor.client).toBe('ws-test');
  });

  it('applies the frame cap: an oversized message closes that connection (1009), the daemon carries on', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const ws = await openWebSocket(daemon.root);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'daemon.health', params: { pad: 'x'.repeat(MAX_FRAME_BYTES) } }),
    );
    expect(await closed).toBe(1009);
    const wsClient = await webSocketClient(daemon.root);
    expect((await wsClient.call('daemon.health', {})).live).toBe(true);
  });

  it('answers malformed JSON with a parse error, as on the socket', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const ws = await openWebSocket(daemon.root);
    const answer = new Promise<unknown>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()))),
    );
    ws.send('{not json');
    expect(await answer).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, data: { code: 'PARSE_ERROR' } },
    });
  });

  it('a WebSocket subscriber that stops reading never stalls the lane or other clients', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const ws = await openWebSocket(daemon.root);
    const frozen = new RpcConnection(clientTransport(ws));
    await frozen.call('daemon.hello', { client: 'frozen', protocolVersion: PROTOCOL_VERSION });
    const notifications: string[] = [];
    frozen.onNotification('events.event', (params) =>
      notifications.push((params as { event: EventEnvelope }).event.type),
    );
    frozen.onNotification('events.closed', () => notifications.push('closed'));
    await frozen.call('events.subscribe', {});
    // Stop reading: the daemon's writes pile up in the TCP buffers, as for a frozen browser tab.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const socketClient = await connectClient(daemon.root);
    closers.push(() => socketClient.close());
    const recorder = new EventRecorder();
    await socketClient.subscribe({ onEvent: recorder.onEvent });
    const operationId = await longOperation(daemon.root, { progressEvents: 100_000 });
    expect((await recorder.terminalOf(operationId, 25_000)).type).toBe('completed');
    expect((await socketClient.call('daemon.health', {})).laneDepth).toBe(0);

    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await expect
      .poll(() => notifications.includes('completed') || notifications.includes('closed'), { timeout: 20_000 })
      .toBe(true);
    // Coalesced: far fewer progress events than were emitted, but the lifecycle arrived (or an explicit resume point).
    expect(notifications.filter((type) => type === 'progress').length).toBeLessThan(50_000);
  }, 60_000);
});
