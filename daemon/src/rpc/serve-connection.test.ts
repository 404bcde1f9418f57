import { describe, expect, it } from 'vitest';
import { JSONRPCServer } from 'json-rpc-2.0';
import { ErrorCodes } from '@packer/core/contract/runtime';
import { memoryTransportPair } from '@packer/client/browser';
import { MAX_REPLY_BYTES, serveConnection } from './serve-connection.js';

/** A server with one method answering `bytes` characters, counting how often it ran. */
function serve(bytes: number): { calls: () => number; ask(frame: unknown): Promise<unknown> } {
  let calls = 0;
  const server = new JSONRPCServer<undefined>();
  server.addMethod('big', () => {
    calls += 1;
    return 'x'.repeat(bytes);
  });
  const [serverSide, clientSide] = memoryTransportPair();
  serveConnection(serverSide, server, undefined);
  const answers: string[] = [];
  const waiters: (() => void)[] = [];
  clientSide.onMessage((text) => {
    answers.push(text);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    calls: () => calls,
    async ask(frame) {
      const before = answers.length;
      clientSide.send(JSON.stringify(frame));
      while (answers.length === before) await new Promise<void>((resolve) => waiters.push(resolve));
      const text = answers[before]!;
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      return JSON.parse(text);
    },
  };
}

const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'big' });

describe('the reply cap', () => {
  it('answers one request whose answer passes the cap with REPLY_TOO_LARGE and its id', async () => {
    const peer = serve(MAX_REPLY_BYTES + 1);
    expect(await peer.ask(call(7))).toMatchObject({
      id: 7,
      error: { code: ErrorCodes.REPLY_TOO_LARGE, data: { code: 'REPLY_TOO_LARGE', limit: MAX_REPLY_BYTES, ran: true } },
    });
  });

  it('stops computing a batch once its answers pass the cap, and answers every id', async () => {
    const peer = serve(512 * 1024);
    const reply = (await peer.ask(Array.from({ length: 1000 }, (_, index) => call(index)))) as {
      id: number;
      result?: string;
      error?: { data: { code: string; ran: boolean } };
    }[];
    expect(reply.map((answer) => answer.id)).toEqual(Array.from({ length: 1000 }, (_, index) => index));
    const fitted = reply.filter((answer) => answer.result !== undefined).length;
    // 8 MiB holds 15 answers of 512 KiB; a few more ran concurrently before the cap was seen, and no more.
    expect(fitted).toBeGreaterThan(10);
    expect(peer.calls()).toBeLessThan(fitted + 8);
    expect(reply.filter((answer) => answer.error?.data.code === 'REPLY_TOO_LARGE')).toHaveLength(1000 - fitted);
    expect(reply.filter((answer) => answer.error?.data.ran === false).length).toBe(1000 - peer.calls());
  });

  it('answers a batch that fits in full', async () => {
    const peer = serve(1024);
    const reply = (await peer.ask(Array.from({ length: 100 }, (_, index) => call(index)))) as { result?: string }[];
    expect(reply.every((answer) => answer.result?.length === 1024)).toBe(true);
    expect(peer.calls()).toBe(100);
  });
});
