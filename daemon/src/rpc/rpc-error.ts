import { JSONRPCErrorException } from 'json-rpc-2.0';
import { errorCodeOf, PackerError, toPackerError } from '@packer/core/contract/runtime';
import type { ErrorCode } from '@packer/core/contract';

/**
 * Every throw at the RPC boundary becomes a JSON-RPC error with a stable string code in `data.code`.
 * Nothing leaks a stack trace to a client.
 */
export function toRpcError(error: unknown): JSONRPCErrorException {
  if (error instanceof JSONRPCErrorException) return error;
  const packerError = toPackerError(error);
  return new JSONRPCErrorException(packerError.message, packerError.rpcCode, { code: packerError.code, ...packerError.data });
}

/** Rebuilds a PackerError from a JSON-RPC error object (client side). */
export function fromRpcError(error: { code: number; message: string; data?: unknown }): PackerError {
  const data = (error.data && typeof error.data === 'object' ? error.data : {}) as Record<string, unknown>;
  const code = typeof data.code === 'string' ? data.code : undefined;
  const { code: _ignored, ...rest } = data;
  const known = (code as ErrorCode | undefined) ?? errorCodeOf(error.code) ?? 'INTERNAL';
  return new PackerError(known, error.message, rest);
}
