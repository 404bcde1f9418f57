// `@packer/studio-adapter/browser`: for a Studio hosted in a browser. Reaches the daemon over its loopback
// WebSocket with the global `WebSocket`. No Node built-ins anywhere below this file.
import { PackerError } from '@packer/core/contract/runtime';
import { connectUrlWith, type ConnectUrlOptions } from './connect-url.js';
import type { StudioSession } from './studio-session.js';
import type { WebSocketLike } from './websocket-like.js';

export * from './studio.js';
export type { ConnectUrlOptions } from './connect-url.js';

/**
 * Opens a session over the daemon's WebSocket: `url` from `.packer/ws.json`, `token` from `.packer/ws-token`
 * (the page's host hands them over; a browser cannot read them).
 */
export function connectUrl(url: string, token: string, options: ConnectUrlOptions = {}): Promise<StudioSession> {
  const WebSocketClass = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (!WebSocketClass)
    return Promise.reject(
      new PackerError(
        'NOT_READY',
        'No global WebSocket in this environment; in Node use connectUrl from @packer/studio-adapter.',
      ),
    );
  return connectUrlWith((target) => new WebSocketClass(target), url, token, options);
}
