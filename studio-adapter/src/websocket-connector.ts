import { PackerError, PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import { awaitReady, RpcConnection, type Connector } from '@packer/client/browser';
import { webSocketClientTransport } from './websocket-client-transport.js';
import type { WebSocketFactory, WebSocketLike } from './websocket-like.js';

/** Where a daemon's WebSocket listens (`.packer/ws.json`'s `url`) and its token (`.packer/ws-token`). */
export interface WebSocketEndpoint {
  url: string;
  token: string;
}

export interface WebSocketConnectorOptions {
  /** Name of the client, for audit records. */
  client: string;
  /** Sent in `daemon.hello` (Node only). */
  pid?: number;
  /** Where to connect; asked again on every reconnect (a restarted daemon has a new token, maybe a new port). */
  endpoint: () => WebSocketEndpoint | Promise<WebSocketEndpoint>;
}

/**
 * A Connector for the daemon's WebSocket: opens the socket with the token, says hello, checks the protocol
 * version. Unlike the socket connector it cannot start or restart a daemon.
 */
export function webSocketConnector(open: WebSocketFactory, options: WebSocketConnectorOptions): Connector {
  return async () => {
    const { url, token } = await options.endpoint();
    const target = new URL(url);
    target.searchParams.set('token', token);
    const ws = await opened(open(target.toString()), url);
    const connection = new RpcConnection(webSocketClientTransport(ws));
    const hello = await connection.call('daemon.hello', {
      client: options.client,
      protocolVersion: PROTOCOL_VERSION,
      ...(options.pid !== undefined ? { pid: options.pid } : {}),
    });
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      connection.close();
      throw new PackerError(
        'PROTOCOL_MISMATCH',
        `The daemon at ${url} speaks protocol ${hello.protocolVersion}; this client speaks ${PROTOCOL_VERSION}.`,
        {
          daemon: hello.protocolVersion,
          client: PROTOCOL_VERSION,
          hint: 'Restart the daemon (`packer daemon restart --ws`) with the same packer version as this Studio.',
        },
      );
    }
    // As the socket connector: connected means ready (a live daemon holds this until its project is open).
    try {
      return { connection, hello: await awaitReady(connection, hello) };
    } catch (error) {
      connection.close();
      throw error;
    }
  };
}

/** Resolves once the socket is open; a refused handshake (bad token, foreign Origin) or a dead port rejects. */
function opened(ws: WebSocketLike, url: string): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    ws.addEventListener('open', () => resolve(ws));
    ws.addEventListener('error', (event) => (failure ??= event.message));
    ws.addEventListener('close', (event) => {
      // Browsers hide the HTTP status of a refused handshake; Node's ws names it in the error message.
      const detail = failure ?? `closed with code ${event.code}`;
      reject(
        new PackerError('NOT_READY', `Cannot open the packer WebSocket at ${url}: ${detail}.`, {
          url,
          ...(failure ? { reason: failure } : { closeCode: event.code }),
          hint: 'Check that the daemon runs with --ws, and pass the url from .packer/ws.json and the token from .packer/ws-token (401: wrong token; 403: Origin not allowed).',
        }),
      );
    });
  });
}
