import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { copyFixture } from '@packer/fixtures';
import { startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

interface Endpoint {
  url: string;
  host: string;
  port: number;
  pid: number;
  tokenFile: string;
}

function wsFiles(root: string): { endpointFile: string; tokenFile: string } {
  return { endpointFile: path.join(root, '.packer', 'ws.json'), tokenFile: path.join(root, '.packer', 'ws-token') };
}

function readEndpoint(root: string): { endpoint: Endpoint; token: string } {
  const files = wsFiles(root);
  return {
    endpoint: JSON.parse(readFileSync(files.endpointFile, 'utf8')) as Endpoint,
    token: readFileSync(files.tokenFile, 'utf8'),
  };
}

type Handshake = { opened: WebSocket } | { status: number; body: string } | { error: Error };

/** Tries a handshake; a refusal resolves with the HTTP status the daemon answered. */
function handshake(
  url: string,
  options: { origin?: string; headers?: Record<string, string> } = {},
): Promise<Handshake> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    sockets.push(ws);
    ws.once('open', () => resolve({ opened: ws }));
    ws.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    ws.once('error', (error) => resolve({ error }));
  });
}

async function withConfig(websocket: Record<string, unknown>): Promise<string> {
  const root = await copyFixture('sample-game');
  const file = path.join(root, 'packer.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  config.daemon = { websocket };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return root;
}

describe('WebSocket listener', () => {
  it('is off by default', async () => {
    daemon = await startDaemon();
    expect(existsSync(wsFiles(daemon.root).endpointFile)).toBe(false);
    expect(existsSync(wsFiles(daemon.root).tokenFile)).toBe(false);
  });

  it('with --ws: listens on loopback, writes the port and an owner-only token, and removes both on shutdown', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const { endpoint, token } = readEndpoint(daemon.root);
    expect(endpoint.host).toBe('127.0.0.1');
    expect(endpoint.port).toBeGreaterThan(0);
    expect(endpoint.url).toBe(`ws://127.0.0.1:${endpoint.port}/`);
    expect(endpoint.pid).toBe(daemon.pid);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(wsFiles(daemon.root).tokenFile).mode & 0o777).toBe(0o600);

    const result = await handshake(`${endpoint.url}?token=${token}`);
    expect('opened' in result).toBe(true);
    const ws = (result as { opened: WebSocket }).opened;
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await stopDaemon(daemon, { keepRoot: true });
    expect([1001, 1006]).toContain(await closed);
    expect(existsSync(wsFiles(daemon.root).endpointFile)).toBe(false);
    expect(existsSync(wsFiles(daemon.root).tokenFile)).toBe(false);
  });

  it('refuses a missing token, a wrong token and a foreign Origin before JSON-RPC', async () => {
    daemon = await startDaemon({ args: ['--ws'] });
    const { endpoint, token } = readEndpoint(daemon.root);
    const wrong = token.replace(/^./, (first) => (first === '0' ? '1' : '0'));
    expect(await handshake(endpoint.url)).toMatchObject({ status: 401 });
    expect(await handshake(`${endpoint.url}?token=`)).toMatchObject({ status: 401 });
    expect(await handshake(`${endpoint.url}?token=${wrong}`)).toMatchObject({ status: 401 });
    expect(await handshake(`${endpoint.url}?token=${wrong}`, { origin: 'http://localhost:5173' })).toMatchObject({
      status: 401,
    });
    expect(await handshake(`${endpoint.url}?token=${token}`, { origin: 'https://evil.example' })).toMatchObject({
      status: 403,
    });
    expect(await handshake(`${endpoint.url}?token=${token}`, { headers: { Host: 'evil.example' } })).toMatchObject({
      status: 403,
    });
    // A browser page served from loopback passes; so does a non-browser client (no Origin) with the token.
    expect('opened' in (await handshake(`${endpoint.url}?token=${token}`, { origin: 'http://localhost:5173' }))).toBe(
      true,
    );
    expect('opened' in (await handshake(`${endpoint.url}?token=${token}`))).toBe(true);
    // Plain HTTP gets no JSON-RPC either.
    const response = await fetch(`http://127.0.0.1:${endpoint.port}/?token=${token}`);
    expect(response.status).toBe(426);
  });

  it('is turned on by PACKER_WS=1 and by packer.json, which also lists extra origins', async () => {
    daemon = await startDaemon({ env: { PACKER_WS: '1' } });
    expect(existsSync(wsFiles(daemon.root).endpointFile)).toBe(true);
    await stopDaemon(daemon);

    daemon = await startDaemon({
      root: await withConfig({ enabled: true, port: 0, allowedOrigins: ['https://studio.example.com'] }),
    });
    const { endpoint, token } = readEndpoint(daemon.root);
    expect(
      'opened' in (await handshake(`${endpoint.url}?token=${token}`, { origin: 'https://studio.example.com' })),
    ).toBe(true);
    expect(await handshake(`${endpoint.url}?token=${token}`, { origin: 'https://other.example.com' })).toMatchObject({
      status: 403,
    });
  });

  it('refuses to start when asked to bind a non-loopback host (INVALID_CONFIG naming the field)', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      const root = await withConfig({ enabled: true, host });
      const failure = await startDaemon({ root }).then(
        () => undefined,
        (error: Error & { code?: string }) => error,
      );
      expect(failure, host).toBeDefined();
      expect(failure!.code).toBe('INVALID_CONFIG');
      expect(failure!.message).toContain('daemon.websocket.host');
      expect(existsSync(wsFiles(root).endpointFile)).toBe(false);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
