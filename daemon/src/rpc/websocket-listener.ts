import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Transport } from '@packer/client/browser';
import { isLoopbackHost, MAX_FRAME_BYTES, PackerError, PROTOCOL_VERSION } from '@packer/core/contract';
import { checkHandshake, clipHeader, type HandshakeRefusal } from './websocket-handshake.js';
import { RefusalLimiter } from './refusal-limiter.js';
import { webSocketTransport } from './websocket-transport.js';

/** Where a running listener is described, inside `.packer/`. */
export const WS_ENDPOINT_FILE = 'ws.json';
/** The token a client must present, inside `.packer/` (owner-only). */
export const WS_TOKEN_FILE = 'ws-token';

/** What `.packer/ws.json` holds. */
export interface WebSocketEndpoint {
  url: string;
  host: string;
  port: number;
  pid: number;
  protocolVersion: number;
  /** The token file, relative to the project. */
  tokenFile: string;
}

export interface WebSocketListenerOptions {
  /** The project's `.packer/` folder. */
  stateDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  allowedOrigins: readonly string[];
  /** Serves one accepted connection (the daemon serves it like a socket connection). */
  onConnection(transport: Transport): void;
  log?(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface WebSocketListener {
  readonly endpoint: WebSocketEndpoint;
  /** Refuses new connections; open ones keep going until `close`. */
  stopAccepting(): void;
  /** Closes every connection (a close frame, then a cut after a grace period) and removes the files. */
  close(): Promise<void>;
}

const CLOSE_WAIT_MS = 500;

/** Refused handshakes one address may have logged at once, and how fast that budget refills. */
const REFUSALS_LOGGED_BURST = 10;
const REFUSALS_LOGGED_PER_SECOND = 1;
/** How often the count of refusals past that budget is logged (one line, when there were any). */
const REFUSAL_SUMMARY_MS = 10_000;

/** `::1` as written in a URL (`[::1]`) names the same address; `listen()` wants it bare. */
export function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The optional WebSocket listener for a browser-hosted Studio: loopback only, a fresh random token in an
 * owner-only file, an Origin allow-list. A refused handshake gets a plain HTTP 401/403 and never reaches
 * JSON-RPC; an accepted one is served exactly like a socket connection, with the same frame cap.
 */
export async function startWebSocketListener(options: WebSocketListenerOptions): Promise<WebSocketListener> {
  if (!isLoopbackHost(options.host)) {
    throw new PackerError(
      'INVALID_CONFIG',
      `daemon.websocket.host ${JSON.stringify(options.host)} is not a loopback address; the WebSocket listener binds to loopback only.`,
      {
        field: 'daemon.websocket.host',
        hint: 'Use "127.0.0.1", "::1" or "localhost".',
      },
    );
  }
  const host = bareHost(options.host);
  const token = randomBytes(32).toString('hex');
  const limiter = new RefusalLimiter({ burst: REFUSALS_LOGGED_BURST, perSecond: REFUSALS_LOGGED_PER_SECOND });
  const logSuppressed = (): void => {
    const counts = [...limiter.takeSuppressed()].sort((a, b) => b[1] - a[1]);
    if (counts.length === 0) return;
    options.log?.('warn', 'websocket handshakes refused without a log line each', {
      refused: counts.reduce((sum, [, count]) => sum + count, 0),
      addresses: counts.length,
      top: counts.slice(0, 5).map(([address, count]) => ({ address, refused: count })),
    });
  };
  const summaryTimer = setInterval(logSuppressed, REFUSAL_SUMMARY_MS);
  summaryTimer.unref();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    response.end('The packer daemon speaks JSON-RPC over WebSocket here.\n');
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const refusal = checkHandshake(
      { url: request.url, headers: { host: request.headers.host, origin: request.headers.origin } },
      { token, allowedOrigins: options.allowedOrigins },
    );
    if (refusal) {
      const remote = request.socket.remoteAddress ?? 'unknown';
      if (!limiter.admit(remote)) {
        // Past this address's budget: no log line, no explanation, just the door.
        socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      // One line, with the peer's headers cut short: a 15 KB Origin must not cost the log 15 KB (let alone 30).
      options.log?.('warn', 'websocket handshake refused', {
        status: refusal.status,
        reason: refusal.reason,
        remote,
        origin: request.headers.origin === undefined ? undefined : clipHeader(request.headers.origin),
        host: request.headers.host === undefined ? undefined : clipHeader(request.headers.host),
      });
      refuse(socket, refusal);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => options.onConnection(webSocketTransport(ws, socket as Socket)));
  });
  try {
    await listen(server, host, options.port);
  } catch (error) {
    clearInterval(summaryTimer);
    throw error;
  }
  const address = server.address() as AddressInfo;
  // Belt and braces: whatever the name resolved to, the socket must be bound to loopback.
  if (!isLoopbackHost(address.address)) {
    clearInterval(summaryTimer);
    server.close();
    throw new PackerError(
      'INVALID_CONFIG',
      `daemon.websocket.host ${JSON.stringify(options.host)} resolved to ${address.address}, which is not loopback.`,
      { field: 'daemon.websocket.host' },
    );
  }
  server.on('error', (error) => options.log?.('error', 'websocket server error', { error: error.message }));

  const tokenFile = path.join(options.stateDir, WS_TOKEN_FILE);
  const endpointFile = path.join(options.stateDir, WS_ENDPOINT_FILE);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const endpoint: WebSocketEndpoint = {
    url: `ws://${urlHost}:${address.port}/`,
    host: address.address,
    port: address.port,
    pid: process.pid,
    protocolVersion: PROTOCOL_VERSION,
    tokenFile: path.posix.join('.packer', WS_TOKEN_FILE),
  };
  try {
    mkdirSync(options.stateDir, { recursive: true });
    // Remove first: `mode` only applies when the file is created, and `wx` refuses a file someone planted.
    rmSync(tokenFile, { force: true });
    writeFileSync(tokenFile, token, { mode: 0o600, flag: 'wx' });
    chmodSync(tokenFile, 0o600);
    writeFileSync(endpointFile, JSON.stringify(endpoint, null, 2) + '\n', { mode: 0o600 });
  } catch (error) {
    clearInterval(summaryTimer);
    server.close();
    rmSync(tokenFile, { force: true });
    throw error;
  }

  let accepting = true;
  let closing: Promise<void> | undefined;
  const serverClosed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const stopAccepting = (): void => {
    if (!accepting) return;
    accepting = false;
    server.close();
  };
  const closeNow = async (): Promise<void> => {
    stopAccepting();
    clearInterval(summaryTimer);
    logSuppressed();
    rmSync(endpointFile, { force: true });
    rmSync(tokenFile, { force: true });
    for (const client of wss.clients) client.close(1001, 'packer daemon stopping');
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const client of wss.clients) client.terminate();
    server.closeAllConnections();
    await serverClosed;
    wss.close();
  };
  return {
    endpoint,
    stopAccepting,
    close: () => (closing ??= closeNow()),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new PackerError(
          'IO_ERROR',
          `The WebSocket listener cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${error.code ?? error.message}.`,
          {
            host,
            port,
            errno: error.code,
            syscall: 'listen',
            hint: 'Choose another daemon.websocket.port in packer.json, or 0 for a free one.',
          },
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

const STATUS_TEXT: Record<HandshakeRefusal['status'], string> = { 401: 'Unauthorized', 403: 'Forbidden' };

/** Answers a refused upgrade with a plain HTTP response and hangs up. */
function refuse(socket: Duplex, refusal: HandshakeRefusal): void {
  const body = `${refusal.message}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}
