import { JSONRPCErrorException, JSONRPCServer } from 'json-rpc-2.0';
import type { z } from 'zod';
import { ErrorCodes, Methods, type MethodName, type MethodResult } from '@packer/core/contract';
import { toRpcError } from './rpc-error.js';

/** One handler per contract method, receiving params already validated by the method's schema. */
export type MethodHandlers<Context> = {
  [M in MethodName]: (
    params: z.output<(typeof Methods)[M]['params']>,
    context: Context,
  ) => Promise<MethodResult<M>> | MethodResult<M>;
};

/** Extra methods outside the public contract (test hooks); validated by their own schema. */
export type ExtraMethods<Context> = Record<
  string,
  { params: z.ZodType; handler: (params: unknown, context: Context) => unknown }
>;

/**
 * Builds the JSON-RPC server of the contract methods given (all of them for a ready daemon: `createMethodHandlers`
 * makes a missing one a compile error; a few while it opens): every method validates its params at the edge
 * (−32602 with the zod issues in `data`), and every throw leaves as a typed error with a stable `data.code`.
 */
export function createRpcServer<Context>(
  handlers: Partial<MethodHandlers<Context>>,
  extra: ExtraMethods<Context> = {},
): JSONRPCServer<Context> {
  // Every throw goes back to the caller as a typed error; the library's default listener would also print it
  // with a stack (on the CLI's own stderr under --no-daemon) for ordinary answers such as NOT_FOUND.
  const server = new JSONRPCServer<Context>({ errorListener: () => undefined });
  const register = (name: string, schema: z.ZodType, handler: (params: unknown, context: Context) => unknown): void => {
    server.addMethod(name, async (params: unknown, context: Context) => {
      const parsed = schema.safeParse(params ?? {});
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        const field = first?.path.length ? first.path.join('.') : '(params)';
        throw new JSONRPCErrorException(
          `Invalid params for ${name}: "${field}" ${first?.message ?? 'is invalid'}.`,
          ErrorCodes.INVALID_PARAMS,
          {
            code: 'INVALID_PARAMS',
            issues: parsed.error.issues.map((issue) => ({
              path: issue.path.join('.'),
              message: issue.message,
              code: issue.code,
            })),
          },
        );
      }
      try {
        return await handler(parsed.data, context);
      } catch (error) {
        throw toRpcError(error);
      }
    });
  };
  for (const name of Object.keys(Methods) as MethodName[]) {
    const handler = handlers[name] as ((params: unknown, context: Context) => unknown) | undefined;
    if (handler) register(name, Methods[name].params, handler);
  }
  for (const [name, method] of Object.entries(extra)) register(name, method.params, method.handler);
  return server;
}
