import { createJSONRPCErrorResponse, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import { ErrorCodes, errorCodeOf, MAX_FRAME_BYTES } from '@packer/core/contract/runtime';
import type { Transport } from '@packer/client/browser';
import type { RpcReceiver } from './opening-gate.js';

/** Largest JSON-RPC batch accepted in one frame. */
export const MAX_BATCH = 1000;

/** Largest reply sent for one frame (an answer, or all answers of a batch): the frame cap both sides share. */
export const MAX_REPLY_BYTES = MAX_FRAME_BYTES;

/** Batch items computed at once: with the running size check, bounds what one batch holds in memory. */
const BATCH_CONCURRENCY = 4;

/**
 * Reads JSON-RPC texts from a transport and answers them. Malformed JSON, bad shapes, oversized frames and
 * batches get the standard error answers; nothing a peer sends can throw out of here. No reply passes
 * MAX_REPLY_BYTES: a larger answer becomes REPLY_TOO_LARGE, and a batch stops computing once its answers
 * pass the cap (a frame of 1,000 `snapshot.get` calls must not cost the daemon 1,000 snapshots in memory).
 */
export function serveConnection<Context>(transport: Transport, server: RpcReceiver<Context>, context: Context): void {
  const answer = async (item: unknown): Promise<JSONRPCResponse | null> => {
    // The library assumes an object with a primitive id: `null` crashes it, and an id nested deep enough
    // to be echoed back cannot be encoded. The spec allows only string, number or null ids.
    if (!isRequestShaped(item)) return invalidRequest();
    try {
      return withStableCode(await server.receive(item, context));
    } catch (error) {
      return createJSONRPCErrorResponse(null, ErrorCodes.INTERNAL, `Internal error: ${(error as Error).message}`, {
        code: 'INTERNAL',
      });
    }
  };
  const answerBatch = async (items: unknown[]): Promise<string | undefined> => {
    const texts: (string | undefined)[] = new Array(items.length);
    // Room is kept for an error answer to every item, so the answers that fit plus the errors stay under the cap.
    let total = 2 + items.reduce<number>((sum, item) => sum + errorAnswerBytes(item), 0);
    let full = false;
    let next = 0;
    const work = async (): Promise<void> => {
      while (next < items.length) {
        const index = next++;
        const item = items[index];
        if (full) {
          // Past the cap: what has not started never runs. Notifications expect no answer.
          if (!isRequestShaped(item)) texts[index] = encode(invalidRequest());
          else if (item.id !== undefined) texts[index] = encode(tooLarge(item.id, { ran: false, size: total }));
          continue;
        }
        const response = await answer(item);
        if (!response) continue;
        let text = encode(response);
        const size = Buffer.byteLength(text) + 1;
        if (total + size > MAX_REPLY_BYTES) {
          full = true;
          text = encode(tooLarge(response.id, { ran: true, size: total + size }));
        } else {
          total += size;
        }
        texts[index] = text;
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, work));
    const answered = texts.filter((text) => text !== undefined);
    if (answered.length === 0) return undefined;
    const reply = `[${answered.join(',')}]`;
    // The error answers themselves echo ids: should even they not fit, one error answers the whole frame.
    return Buffer.byteLength(reply) > MAX_REPLY_BYTES
      ? encode(tooLarge(null, { ran: true, size: Buffer.byteLength(reply) }))
      : reply;
  };
  const reply = (text: string): void => {
    transport.send(text);
  };
  transport.onFramingError(() => {
    reply(
      encode(
        createJSONRPCErrorResponse(
          null,
          ErrorCodes.FRAME_TOO_LARGE,
          `Frame too large: the limit is ${MAX_FRAME_BYTES} bytes per JSON text.`,
          {
            code: 'FRAME_TOO_LARGE',
            limit: MAX_FRAME_BYTES,
          },
        ),
      ),
    );
  });
  transport.onMessage((text) => {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      reply(
        encode(
          createJSONRPCErrorResponse(null, ErrorCodes.PARSE_ERROR, `Parse error: ${(error as Error).message}`, {
            code: 'PARSE_ERROR',
          }),
        ),
      );
      return;
    }
    if (!Array.isArray(payload)) {
      void answer(payload).then((response) => {
        if (!response) return;
        const encoded = encode(response);
        const size = Buffer.byteLength(encoded);
        reply(size > MAX_REPLY_BYTES ? encode(tooLarge(response.id, { ran: true, size })) : encoded);
      });
      return;
    }
    if (payload.length === 0 || payload.length > MAX_BATCH) {
      const why =
        payload.length === 0 ? 'an empty batch' : `a batch of ${payload.length} requests (the limit is ${MAX_BATCH})`;
      reply(
        encode(
          createJSONRPCErrorResponse(null, ErrorCodes.INVALID_REQUEST, `Invalid request: ${why}.`, {
            code: 'INVALID_REQUEST',
            limit: MAX_BATCH,
          }),
        ),
      );
      return;
    }
    void answerBatch(payload).then((batchReply) => batchReply !== undefined && reply(batchReply));
  });
}

/** An answer as it goes on the wire; one that cannot be encoded costs the request its answer, never the daemon its
 * life. */
function encode(response: JSONRPCResponse): string {
  try {
    return JSON.stringify(response);
  } catch {
    return JSON.stringify(
      createJSONRPCErrorResponse(
        response.id ?? null,
        ErrorCodes.INTERNAL,
        'Internal error: the answer could not be encoded.',
        { code: 'INTERNAL' },
      ),
    );
  }
}

/** The most an error answer (REPLY_TOO_LARGE or INVALID_REQUEST) to this batch item can take, with its comma. */
function errorAnswerBytes(item: unknown): number {
  errorAnswerBaseBytes ??=
    Math.max(
      Buffer.byteLength(encode(tooLarge(null, { ran: true, size: Number.MAX_SAFE_INTEGER }))),
      Buffer.byteLength(encode(tooLarge(null, { ran: false, size: Number.MAX_SAFE_INTEGER }))),
      Buffer.byteLength(encode(invalidRequest())),
    ) + 1;
  const id = isRequestShaped(item) && item.id !== undefined && item.id !== null ? item.id : null;
  return errorAnswerBaseBytes + (id === null ? 0 : Buffer.byteLength(JSON.stringify(id)));
}
let errorAnswerBaseBytes: number | undefined;

function invalidRequest(): JSONRPCResponse {
  return createJSONRPCErrorResponse(
    null,
    ErrorCodes.INVALID_REQUEST,
    'Invalid request: expected a JSON-RPC 2.0 request object with a string method and a string, number or null id.',
    { code: 'INVALID_REQUEST' },
  );
}

/** REPLY_TOO_LARGE for one request: `ran` says whether the method ran (its effects happened) before the answer was
 * dropped. */
function tooLarge(id: JSONRPCResponse['id'], detail: { ran: boolean; size: number }): JSONRPCResponse {
  const message = detail.ran
    ? `Reply too large: the answer passed the ${MAX_REPLY_BYTES}-byte reply limit and was dropped (the request ran).`
    : `Reply too large: the batch's answers passed the ${MAX_REPLY_BYTES}-byte reply limit before this request started, so it did not run.`;
  return createJSONRPCErrorResponse(id, ErrorCodes.REPLY_TOO_LARGE, message, {
    code: 'REPLY_TOO_LARGE',
    limit: MAX_REPLY_BYTES,
    ran: detail.ran,
    size: detail.size,
    hint: 'Send fewer requests per batch, or ask for less: page lists (assets.list with limit/page) instead of reading the whole snapshot.',
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
  return {
    ...response,
    error: { ...response.error, data: { ...(data && typeof data === 'object' ? data : {}), code } },
  };
}
