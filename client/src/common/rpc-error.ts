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

/**
 * The error of a call whose connection closed before its answer: what it asked for may or may not have happened.
 * The hint names the idempotency key only to a caller that sent one (the CLI never shows one).
 */
export function connectionLostError(method: string, params?: unknown): PackerError {
  const keyed =
    typeof params === 'object' &&
    params !== null &&
    typeof (params as { idempotencyKey?: unknown }).idempotencyKey === 'string';
  return new PackerError(
    'CONNECTION_LOST',
    `The connection to the packer daemon closed before it answered ${method}; the outcome is unknown.`,
    {
      method,
      hint: keyed
        ? 'Retry with the same idempotencyKey: the packer applies it at most once (or check `packer events` first).'
        : 'Check with `packer events` and `packer history` whether it happened before running it again.',
    },
  );
}
