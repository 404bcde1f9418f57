import { DaemonClient } from '@packer/client/browser';
import { StudioSession, type StudioSessionOptions } from './studio-session.js';
import { webSocketConnector, type WebSocketEndpoint } from './websocket-connector.js';
import type { WebSocketFactory } from './websocket-like.js';

export interface ConnectUrlOptions extends StudioSessionOptions {
  /** Name of the client, for audit records. Default `studio`. */
  client?: string;
  /**
   * Where to reconnect after a drop. A restarted daemon writes a new token (and, with port 0, a new port), so
   * a host that can read `.packer/ws.json` and `.packer/ws-token` again passes this; default: the same url and token.
   */
  endpoint?: () => WebSocketEndpoint | Promise<WebSocketEndpoint>;
  /** Reconnect when the connection drops (default true). */
  reconnect?: boolean;
}

/** Opens a session over the daemon's WebSocket with the given WebSocket implementation. */
export async function connectUrlWith(
  open: WebSocketFactory,
  url: string,
  token: string,
  options: ConnectUrlOptions & { pid?: number } = {},
): Promise<StudioSession> {
  const { client = 'studio', endpoint = () => ({ url, token }), reconnect, pid, ...sessionOptions } = options;
  const connector = webSocketConnector(open, { client, endpoint, ...(pid !== undefined ? { pid } : {}) });
  const daemonClient = new DaemonClient(connector, reconnect === undefined ? {} : { reconnect });
  return StudioSession.open(daemonClient, sessionOptions);
}
