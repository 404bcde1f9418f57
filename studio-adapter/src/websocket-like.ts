/**
 * The part of the WebSocket API the adapter uses. The browser's global `WebSocket` and the `ws` package's
 * client both have this shape, so one transport serves both entries.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string; error?: unknown }) => void): void;
}

/** Opens a WebSocket to a URL (the global constructor in a browser, `ws` in Node). */
export type WebSocketFactory = (url: string) => WebSocketLike;

export const WS_OPEN = 1;
