import { errorCodeOf, PackerError } from '@packer/core/contract/runtime';
import type { ErrorCode } from '@packer/core/contract';

/**
 * Rebuilds a PackerError from a JSON-RPC error object: the daemon puts the stable string code in `data.code`
 * (its `toRpcError`); an error without one is named by its JSON-RPC number.
 */
export function fromRpcError(error: { code: number; message: string; data?: unknown }): PackerError {
  const data = (error.data && typeof error.data === 'object' ? error.data : {}) as Record<string, unknown>;
  const code = typeof data.code === 'string' ? data.code : undefined;
  const { code: _ignored, ...rest } = data;
  const known = (code as ErrorCode | undefined) ?? errorCodeOf(error.code) ?? 'INTERNAL';
  return new PackerError(known, error.message, rest);
}
