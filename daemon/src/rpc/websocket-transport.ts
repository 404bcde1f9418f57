import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import type { Transport } from './transport-types.js';

/** Bytes we buffer for a peer that does not read before dropping it (the same cap as the socket transport). */
const MAX_UNREAD_BYTES = 64 * 1024 * 1024;

/** How long a close handshake may take before the connection is cut. */
const CLOSE_GRACE_MS = 1000;

/** ws reports a message past `maxPayload` with this error code, then closes with 1009. */
const TOO_LARGE_CODE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

/**
 * A Transport over one accepted WebSocket. The WebSocket frames messages itself, so one message carries one
 * JSON-RPC text (no NDJSON). The frame cap is the server's `maxPayload`. Backpressure: `bufferedAmount` is
 * what the underlying TCP socket still holds, measured against its high-water mark, and that socket's
 * `drain` says when the peer caught up, exactly as on the Unix socket.
 */
export function webSocketTransport(ws: WebSocket, socket: Socket): Transport {
  const messageListeners: ((message: string) => void)[] = [];
  const closeListeners: ((error?: Error) => void)[] = [];
  const framingListeners: ((error: Error) => void)[] = [];
  let closed = false;
  let lastError: Error | undefined;
  ws.on('message', (data: RawData) => {
    const text = rawToString(data);
    for (const listener of messageListeners) listener(text);
  });
  ws.on('error', (error: Error & { code?: string }) => {
    lastError = error;
    if (error.code === TOO_LARGE_CODE) for (const listener of framingListeners) listener(error);
  });
  ws.on('close', () => {
    closed = true;
    for (const listener of closeListeners) listener(lastError);
  });
  return {
    send: (message) => {
      if (closed || ws.readyState !== ws.OPEN) return false;
      // A peer that never reads must not grow our memory without bound: past the cap it is dropped.
      if (ws.bufferedAmount > MAX_UNREAD_BYTES) {
        ws.terminate();
        return false;
      }
      ws.send(message);
      return ws.bufferedAmount < socket.writableHighWaterMark;
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onDrain: (listener) => {
      socket.on('drain', listener);
      return () => socket.off('drain', listener);
    },
    onClose: (listener) => void closeListeners.push(listener),
    onFramingError: (listener) => void framingListeners.push(listener),
    close: () => {
      if (closed || ws.readyState === ws.CLOSED) return;
      if (ws.readyState === ws.OPEN) ws.close(1001, 'packer daemon closing the connection');
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    },
    get closed() {
      return closed;
    },
  };
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
