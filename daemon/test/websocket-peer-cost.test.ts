import { readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { copyFixture } from '@packer/fixtures';
import { PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import { startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

function endpointOf(root: string): { url: string; host: string; port: number; token: string } {
  const endpoint = JSON.parse(readFileSync(path.join(root, '.packer', 'ws.json'), 'utf8')) as {
    url: string;
    host: string;
    port: number;
  };
  return { ...endpoint, token: readFileSync(path.join(root, '.packer', 'ws-token'), 'utf8') };
}

function logOf(root: string): string {
  return readFileSync(path.join(root, '.packer', 'daemon.log'), 'utf8');
}

/** One raw upgrade request; resolves with the status line the daemon answered before it hung up. */
function rawHandshake(port: number, origin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.write(
      'GET /?token=wrong HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
        `Origin: ${origin}\r\n\r\n`,
    );
  });
}

function openWebSocket(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${token}`);
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function rpc(
  ws: WebSocket,
  method: string,
  params: unknown,
): Promise<{ result?: Record<string, unknown>; error?: unknown }> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(JSON.parse(data.toString()) as never));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  });
}

async function withWebSocketHost(host: string): Promise<string> {
  const root = await copyFixture('sample-game');
  const file = path.join(root, 'packer.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  config.daemon = { websocket: { enabled: true, host, port: 0 } };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return root;
}

describe('refused WebSocket handshakes', () => {
  it('2,000 refusals with a 15 KB Origin grow daemon.log by little: a few truncated lines, then one summary', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const { url, port, token } = endpointOf(daemon.root);
    const logFile = path.join(daemon.root, '.packer', 'daemon.log');
    const before = statSync(logFile).size;
    const origin = `https://evil.example/${'o'.repeat(15_000)}`;

    const statuses: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < 2000) {
          next += 1;
          statuses.push(await rawHandshake(port, origin));
        }
      }),
    );
    expect(statuses).toHaveLength(2000);
    // Every one was turned away: with the reason while its budget lasted, then with 429.
    expect(statuses.every((status) => /^HTTP\/1\.1 (403|429) /.test(status))).toBe(true);
    expect(statuses.filter((status) => status.includes(' 403 ')).length).toBeGreaterThan(0);

    const grown = statSync(logFile).size - before;
    expect(grown).toBeLessThan(1024 * 1024);
    const refusedLines = logOf(daemon.root)
      .split('\n')
      .filter((line) => line.includes('"websocket handshake refused"'));
    expect(refusedLines.length).toBeGreaterThan(0);
    expect(refusedLines.length).toBeLessThan(200);
    for (const line of refusedLines) {
      // The Origin appears once, cut short.
      expect(line.length).toBeLessThan(2048);
      expect(line.split('evil.example').length - 1).toBe(1);
    }

    // The rightful client is not locked out by the flood.
    const ws = await openWebSocket(url, token);
    expect((await rpc(ws, 'daemon.health', {})).result).toMatchObject({ live: true });

    // The refusals that got no line of their own are counted in one summary line (at the latest when it stops).
    await stopDaemon(daemon, { keepRoot: true });
    const summaries = logOf(daemon.root)
      .split('\n')
      .filter((line) => line.includes('refused without a log line each'))
      .map((line) => JSON.parse(line) as { refused: number });
    expect(summaries.reduce((sum, line) => sum + line.refused, 0)).toBe(2000 - refusedLines.length);
    expect(statSync(logFile).size - before).toBeLessThan(1024 * 1024);
  });
});

describe('an IPv6 loopback WebSocket host', () => {
  it.each(['[::1]', '::1'])('listens on %s and serves JSON-RPC at ws://[::1]:port/', async (host) => {
    daemon = await startDaemon({ root: await withWebSocketHost(host) });
    const endpoint = endpointOf(daemon.root);
    expect(endpoint.host).toBe('::1');
    expect(endpoint.url).toBe(`ws://[::1]:${endpoint.port}/`);
    const ws = await openWebSocket(endpoint.url, endpoint.token);
    const hello = await rpc(ws, 'daemon.hello', { client: 'ipv6-test', protocolVersion: PROTOCOL_VERSION });
    expect(hello.result).toMatchObject({ pid: daemon.pid, protocolVersion: PROTOCOL_VERSION });
  });
});
