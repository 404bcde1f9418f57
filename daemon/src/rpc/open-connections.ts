import { randomUUID } from 'node:crypto';
import type { Transport } from '@packer/client';
import type { ConnectionContext } from '../connection-context.js';
import type { RpcReceiver } from './opening-gate.js';
import { serveConnection } from './serve-connection.js';

/** The daemon's open connections (socket, WebSocket, in-process): each served by the RPC server with its own
 * context. */
export class OpenConnections {
  private readonly connections = new Set<ConnectionContext>();

  /** `onActivity`: a connection opened, sent something or closed (the idle timer listens). */
  constructor(private readonly onActivity: () => void) {}

  get count(): number {
    return this.connections.size;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const connection of this.connections) count += connection.subscriptions.size;
    return count;
  }

  /** Serves one new connection; its subscriptions end when it closes. */
  accept(transport: Transport, rpc: RpcReceiver<ConnectionContext>): void {
    const context: ConnectionContext = {
      connectionId: randomUUID(),
      transport,
      actor: { client: 'unknown' },
      subscriptions: new Map(),
    };
    this.connections.add(context);
    this.onActivity();
    transport.onMessage(() => this.onActivity());
    transport.onClose(() => {
      for (const close of context.subscriptions.values()) close();
      context.subscriptions.clear();
      this.connections.delete(context);
      this.onActivity();
    });
    serveConnection(transport, rpc, context);
  }

  /** Ends every subscription and closes every connection (the daemon is stopping). */
  closeAll(): void {
    for (const connection of this.connections) {
      for (const close of connection.subscriptions.values()) close();
      connection.transport.close();
    }
  }
}
