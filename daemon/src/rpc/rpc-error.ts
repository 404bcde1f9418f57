import { JSONRPCErrorException } from 'json-rpc-2.0';
import { toPackerError } from '@packer/core/contract/runtime';

/**
 * Every throw at the RPC boundary becomes a JSON-RPC error with a stable string code in `data.code`.
 * Nothing leaks a stack trace to a client. (The client's `fromRpcError`, in @packer/client, reads it back.)
 */
export function toRpcError(error: unknown): JSONRPCErrorException {
  if (error instanceof JSONRPCErrorException) return error;
  const packerError = toPackerError(error);
  return new JSONRPCErrorException(packerError.message, packerError.rpcCode, {
    code: packerError.code,
    ...packerError.data,
  });
}
