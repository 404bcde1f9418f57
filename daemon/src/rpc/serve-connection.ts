import { createJSONRPCErrorResponse, type JSONRPCRequest, type JSONRPCResponse, type JSONRPCServer } from 'json-rpc-2.0';
import { ErrorCodes, errorCodeOf, MAX_FRAME_BYTES } from '@packer/core/contract/runtime';
import type { Transport } from './transport.js';

/** Largest JSON-RPC batch accepted in one frame. */
export const MAX_BATCH = 1000;

/**
 * Reads JSON-RPC texts from a transport and answers them. Malformed JSON, bad shapes, oversized frames and
 * batches get the standard error answers; nothing a peer sends can throw out of here.
 */
export function serveConnection<Context>(transport: Transport, server: JSONRPCServer<Context>, context: Context): void {
  const reply = (payload: unknown): void => {
    let text: string;
    try {
      text = JSON.stringify(payload);
    } catch {
      // An answer that cannot be encoded must cost this request its answer, never the daemon its life.
      text = JSON.stringify(createJSONRPCErrorResponse(null, ErrorCodes.INTERNAL, 'Internal error: the answer could not be encoded.', { code: 'INTERNAL' }));
    }
    transport.send(text);
  };
  const answer = async (item: unknown): Promise<JSONRPCResponse | null> => {
    // The library assumes an object with a primitive id: `null` crashes it, and an id nested deep enough
    // to be echoed back cannot be encoded. The spec allows only string, number or null ids.
    if (!isRequestShaped(item)) {
      return createJSONRPCErrorResponse(null, ErrorCodes.INVALID_REQUEST, 'Invalid request: expected a JSON-RPC 2.0 request object with a string method and a string, number or null id.', { code: 'INVALID_REQUEST' });
    }
    try {
      return withStableCode(await server.receive(item, context));
    } catch (error) {
      return createJSONRPCErrorResponse(null, ErrorCodes.INTERNAL, `Internal error: ${(error as Error).message}`, { code: 'INTERNAL' });
    }
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
    if (!Array.isArray(payload)) {
      void answer(payload).then((response) => response && reply(response));
      return;
    }
    if (payload.length === 0 || payload.length > MAX_BATCH) {
      const why = payload.length === 0 ? 'an empty batch' : `a batch of ${payload.length} requests (the limit is ${MAX_BATCH})`;
      reply(createJSONRPCErrorResponse(null, ErrorCodes.INVALID_REQUEST, `Invalid request: ${why}.`, { code: 'INVALID_REQUEST', limit: MAX_BATCH }));
      return;
    }
    void Promise.all(payload.map(answer)).then((responses) => {
      const answered = responses.filter((response) => response !== null);
      if (answered.length > 0) reply(answered);
    });
  });
}

function isRequestShaped(item: unknown): item is JSONRPCRequest {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  const { id, method } = item as { id?: unknown; method?: unknown };
  if (method !== undefined && typeof method !== 'string') return false;
  return id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
}

/** The library's own errors (invalid request, method not found) get the `data.code` every packer error carries. */
function withStableCode(response: JSONRPCResponse | null): JSONRPCResponse | null {
  if (!response || !('error' in response) || !response.error) return response;
  const data: unknown = response.error.data;
  if (data && typeof data === 'object' && typeof (data as { code?: unknown }).code === 'string') return response;
  const code = errorCodeOf(response.error.code) ?? 'INTERNAL';
  return { ...response, error: { ...response.error, data: { ...(data && typeof data === 'object' ? data : {}), code } } };
}
