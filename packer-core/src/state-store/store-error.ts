import { constants } from 'node:os';

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/**
 * lmdb-js reports a system error with a numeric `code` (28 for a full disk); storage warnings name it the way Node
 * does (`ENOSPC`), so a failed transaction reads the same as any other failed write.
 */
export function storeError(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'number') return error;
  const name = ERRNO_NAMES.get(code);
  if (!name) return error;
  return Object.assign(new Error(error instanceof Error ? error.message : String(error), { cause: error }), {
    code: name,
  });
}
