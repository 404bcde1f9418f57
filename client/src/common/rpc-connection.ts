import { JSONRPCClient, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import { PackerError } from '@packer/core/contract/runtime';
import type {
  MethodName,
  MethodParams,
  MethodResult,
  NotificationName,
  NotificationParams,
} from '@packer/core/contract';
import { connectionLostError, fromRpcError } from './rpc-error.js';
import type { Transport } from './transport.js';

/**
 * A typed JSON-RPC connection over any Transport: requests from the shared contract, notifications to
 * listeners. Errors arrive as PackerError with the packer's stable code.
 */
export class RpcConnection {
  private readonly client: JSONRPCClient;
  private readonly notificationListeners = new Map<string, Set<(params: unknown) => void>>();
  private readonly closeListeners: ((error?: Error) => void)[] = [];
  private lost = false;

  constructor(readonly transport: Transport) {
    this.client = new JSONRPCClient((request: JSONRPCRequest) => {
      if (!transport.send(JSON.stringify(request)) && transport.closed) {
        throw new PackerError('NOT_READY', 'The connection to the packer daemon is closed.', {
          hint: 'Reconnect and retry.',
        });
      }
    });
    transport.onMessage((text) => this.receive(text));
    transport.onClose((error) => {
      this.lost = true;
      this.client.rejectAllPendingRequests('The connection to the packer daemon closed.');
      for (const listener of this.closeListeners) listener(error);
    });
  }

  /** Calls a contract method with typed params and result. */
  async call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>> {
    return (await this.callRaw(method, params)) as MethodResult<M>;
  }

  /** Calls any method by name (test hooks use it); `call` is the typed form. */
  async callRaw(method: string, params: unknown): Promise<unknown> {
    const response = await this.client.requestAdvanced({ jsonrpc: '2.0', id: this.nextId(), method, params });
    if ('error' in response && response.error) {
      if (this.lost && response.error.code === 0) throw connectionLostError(method, params);
      throw fromRpcError(response.error);
    }
    return (response as { result: unknown }).result;
  }

  /** Listens to a contract notification, with its params typed by the contract's `Notifications` table. */
  onNotification<N extends NotificationName>(method: N, listener: (params: NotificationParams<N>) => void): () => void {
    let set = this.notificationListeners.get(method);
    if (!set) this.notificationListeners.set(method, (set = new Set()));
    // The daemon sends what the contract says (its sending side is typed by the same table), so no check here.
    const untyped = listener as (params: unknown) => void;
    set.add(untyped);
    return () => set.delete(untyped);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  get closed(): boolean {
    return this.transport.closed;
  }

  close(): void {
    this.transport.close();
  }

  private id = 0;
  private nextId(): number {
    return ++this.id;
  }

  private receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const messages = Array.isArray(message) ? message : [message];
    for (const item of messages) {
      if (
        item &&
        typeof item === 'object' &&
        'method' in item &&
        !('id' in item && (item as { id: unknown }).id !== undefined)
      ) {
        const { method, params } = item as { method: string; params: unknown };
        // A copy: a listener that resubscribes (removes itself, adds a new one) must not see this notification twice.
        for (const listener of [...(this.notificationListeners.get(method) ?? [])]) listener(params);
      } else if (item && typeof item === 'object' && ('result' in item || 'error' in item)) {
        this.client.receive(item as JSONRPCResponse);
      }
    }
  }
}
