import type { Transport } from '@packer/client/browser';
import { WS_OPEN, type WebSocketLike } from './websocket-like.js';

/** Past this many unsent bytes, `send` tells the caller the peer is slow. */
const SLOW_BUFFERED_BYTES = 1024 * 1024;

/**
 * A client Transport over an open WebSocket: one JSON-RPC text per message. The browser API has no `drain`
 * event, so `onDrain` never fires; a client only sends small requests and needs none.
 */
export function webSocketClientTransport(ws: WebSocketLike): Transport {
  const messageListeners: ((message: string) => void)[] = [];
  const closeListeners: ((error?: Error) => void)[] = [];
  let closed = false;
  let lastError: Error | undefined;
  const decoder = new TextDecoder();
  ws.addEventListener('message', (event) => {
    const text =
      typeof event.data === 'string'
        ? event.data
        : event.data instanceof ArrayBuffer
          ? decoder.decode(event.data)
          : undefined;
    if (text === undefined) return;
    for (const listener of messageListeners) listener(text);
  });
  ws.addEventListener('error', (event) => {
    lastError = new Error(event.message ?? 'WebSocket error');
  });
  ws.addEventListener('close', (event) => {
    closed = true;
    const error =
      lastError ??
      (event.code === 1000
        ? undefined
        : new Error(`WebSocket closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`));
    for (const listener of closeListeners) listener(error);
  });
  return {
    send: (message) => {
      if (closed || ws.readyState !== WS_OPEN) return false;
      ws.send(message);
      return ws.bufferedAmount < SLOW_BUFFERED_BYTES;
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onDrain: () => () => undefined,
    onClose: (listener) => void closeListeners.push(listener),
    // The daemon enforces the frame cap; a browser WebSocket has no receive cap to report.
    onFramingError: () => undefined,
    close: () => {
      if (!closed) ws.close(1000, 'client closed');
    },
    get closed() {
      return closed || ws.readyState > WS_OPEN;
    },
  };
}
