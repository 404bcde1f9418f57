import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { MAX_UNREAD_BYTES, TransportEvents, type Transport } from '@packer/client/browser';

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
  const events = new TransportEvents();
  let closed = false;
  let lastError: Error | undefined;
  ws.on('message', (data: RawData) => {
    events.message(rawToString(data));
  });
  ws.on('error', (error: Error & { code?: string }) => {
    lastError = error;
    if (error.code === TOO_LARGE_CODE) events.framingError(error);
  });
  ws.on('close', () => {
    closed = true;
    events.closed(lastError);
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
    onMessage: events.onMessage,
    onDrain: (listener) => {
      socket.on('drain', listener);
      return () => socket.off('drain', listener);
    },
    onClose: events.onClose,
    onFramingError: events.onFramingError,
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
