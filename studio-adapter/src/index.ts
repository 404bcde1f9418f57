// `@packer/studio-adapter`: the Node entry. A Studio reaches a project by folder (through the daemon's client
// library, starting the daemon if needed) or by the daemon's WebSocket URL and token.
import { MAX_FRAME_BYTES } from '@packer/core/contract/runtime';
import { WebSocket } from 'ws';
import { connectUrlWith, type ConnectUrlOptions } from './connect-url.js';
import type { StudioSession } from './studio-session.js';

export * from './studio.js';
export { connectProject, type ConnectProjectOptions } from './connect-project.js';
export type { ConnectUrlOptions } from './connect-url.js';

/** Opens a session over the daemon's WebSocket (`url` from `.packer/ws.json`, `token` from `.packer/ws-token`). */
export function connectUrl(url: string, token: string, options: ConnectUrlOptions = {}): Promise<StudioSession> {
  return connectUrlWith((target) => new WebSocket(target, { maxPayload: MAX_FRAME_BYTES }), url, token, {
    pid: process.pid,
    ...options,
  });
}
