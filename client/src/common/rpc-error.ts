import { errorCodeOf, isErrorCode, PackerError } from '@packer/core/contract/runtime';

/**
 * Rebuilds a PackerError from a JSON-RPC error object: the daemon puts the stable string code in `data.code`
 * (its `toRpcError`); an error without one is named by its JSON-RPC number.
 */
export function fromRpcError(error: { code: number; message: string; data?: unknown }): PackerError {
  const { code, ...rest }: Record<string, unknown> =
    error.data && typeof error.data === 'object' ? { ...error.data } : {};
  const known = (isErrorCode(code) ? code : undefined) ?? errorCodeOf(error.code) ?? 'INTERNAL';
  // The daemon's sending side is typed by the same error table (`ErrorData`): its data is taken as that code's row.
  return new PackerError(known, error.message, rest);
}

/** The error of a call whose connection closed before its answer: what it asked for may or may not have happened. */
export function connectionLostError(method: string): PackerError {
  return new PackerError(
    'CONNECTION_LOST',
    `The connection to the packer daemon closed before it answered ${method}; the outcome is unknown.`,
    {
      method,
      hint: 'Check the operation with `packer history` or its events before retrying, or retry with the same idempotencyKey.',
    },
  );
}
