import { createJSONRPCErrorResponse, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import { toRpcError } from './rpc-error.js';

/** What a connection is served by: the RPC server, or the daemon's gate in front of it while the project opens. */
export interface RpcReceiver<Context> {
  receive(request: JSONRPCRequest, context: Context): PromiseLike<JSONRPCResponse | null>;
}

/** A promise settled from outside: the open's outcome, which requests waiting on it follow. */
export interface Settleable {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export function settleable(): Settleable {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when an open fails: that is no unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** The method a JSON-RPC request names ('' for anything else, which the RPC server then answers as invalid). */
export function methodOf(request: unknown): string {
  const method = (request as { method?: unknown } | null)?.method;
  return typeof request === 'object' && request !== null && typeof method === 'string' ? method : '';
}

/** The answer to a request that waited for an open that failed: the open's own error, with its stable code. */
export function openFailedAnswer(request: unknown, error: unknown): JSONRPCResponse | null {
  const id = (request as { id?: unknown } | null)?.id;
  if (typeof request !== 'object' || request === null || id === undefined) return null;
  const rpcError = toRpcError(error);
  return createJSONRPCErrorResponse(
    typeof id === 'string' || typeof id === 'number' ? id : null,
    rpcError.code,
    rpcError.message,
    rpcError.data,
  );
}
