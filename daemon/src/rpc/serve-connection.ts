import { createJSONRPCErrorResponse, type JSONRPCServer } from 'json-rpc-2.0';
import { ErrorCodes, MAX_FRAME_BYTES } from '@packer/core/contract';
import type { Transport } from './transport.js';

/** Largest JSON-RPC batch accepted in one frame. */
export const MAX_BATCH = 1000;

/**
 * Reads JSON-RPC texts from a transport and answers them. Malformed JSON, bad shapes, oversized frames and
 * batches get the standard error answers; nothing a peer sends can throw out of here.
 */
export function serveConnection<Context>(transport: Transport, server: JSONRPCServer<Context>, context: Context): void {
  const reply = (payload: unknown): void => {
    transport.send(JSON.stringify(payload));
  };
  transport.onFramingError(() => {
    reply(createJSONRPCErrorResponse(null, ErrorCodes.FRAME_TOO_LARGE, `Frame too large: the limit is ${MAX_FRAME_BYTES} bytes per JSON text.`, {
      code: 'FRAME_TOO_LARGE',
      limit: MAX_FRAME_BYTES,
    }));
  });
  transport.onMessage((text) => {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      reply(createJSONRPCErrorResponse(null, ErrorCodes.PARSE_ERROR, `Parse error: ${(error as Error).message}`, { code: 'PARSE_ERROR' }));
      return;
    }
    if (Array.isArray(payload) && (payload.length === 0 || payload.length > MAX_BATCH)) {
      const why = payload.length === 0 ? 'an empty batch' : `a batch of ${payload.length} requests (the limit is ${MAX_BATCH})`;
      reply(createJSONRPCErrorResponse(null, ErrorCodes.INVALID_REQUEST, `Invalid request: ${why}.`, { code: 'INVALID_REQUEST', limit: MAX_BATCH }));
      return;
    }
    Promise.resolve(server.receive(payload as never, context)).then(
      (response) => {
        if (response !== null && !(Array.isArray(response) && response.length === 0)) reply(response);
      },
      (error: unknown) => {
        reply(createJSONRPCErrorResponse(null, ErrorCodes.INTERNAL, `Internal error: ${(error as Error).message}`, { code: 'INTERNAL' }));
      },
    );
  });
}
