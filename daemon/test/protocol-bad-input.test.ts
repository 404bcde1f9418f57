import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, MAX_FRAME_BYTES } from '@packer/core/contract';
import {
  connectClient,
  isDaemonAlive,
  RawSocket,
  startDaemon,
  stopDaemon,
  type Answer,
  type DaemonProcess,
} from './support/daemon-harness.js';

let daemon: DaemonProcess;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  daemon = await startDaemon();
});

afterAll(async () => {
  await stopDaemon(daemon);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  // Whatever a test sent, the daemon must still be there and serving.
  expect(daemon.child.exitCode).toBeNull();
  const probe = await open();
  expect(await request(probe, { jsonrpc: '2.0', id: 'probe', method: 'daemon.health' })).toMatchObject({
    result: { live: true, pid: daemon.pid },
  });
});

async function open(): Promise<RawSocket> {
  const socket = await RawSocket.connect(daemon.socketPath);
  sockets.push(socket);
  return socket;
}

/** Resolves with the first answer carrying `id`; rejects if the connection closes first. */
async function answerWithId(socket: RawSocket, id: unknown, timeoutMs = 10_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (socket.messages as Answer[]).find((message) => !Array.isArray(message) && message.id === id);
    if (found) return found;
    if (socket.closed) throw new Error(`connection closed before an answer to id ${JSON.stringify(id)}`);
    await socket.waitForMessages(socket.messages.length + 1, Math.max(1, deadline - Date.now()));
  }
}

/** Sends one request object as a frame and waits for its answer. */
function request(socket: RawSocket, message: { id: unknown } & Record<string, unknown>): Promise<Answer> {
  socket.send(JSON.stringify(message) + '\n');
  return answerWithId(socket, message.id);
}

/** Sends one raw frame and resolves with the next `count` messages. */
async function exchange(socket: RawSocket, frame: string, count = 1): Promise<unknown[]> {
  const before = socket.messages.length;
  socket.send(frame + '\n');
  await socket.waitForMessages(before + count);
  return socket.messages.slice(before);
}

const health = (id: unknown) => ({ jsonrpc: '2.0', id, method: 'daemon.health', params: {} });

describe('JSON-RPC framing and shapes', () => {
  it('answers malformed JSON with -32700 and id null, then serves the next request on the same connection', async () => {
    const socket = await open();
    const [answer] = (await exchange(socket, '{"jsonrpc":"2.0","id":1,"method":')) as Answer[];
    expect(answer).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: ErrorCodes.PARSE_ERROR, data: { code: 'PARSE_ERROR' } },
    });
    expect(await request(socket, health(2))).toMatchObject({ id: 2, result: { live: true, ready: true } });
    expect(socket.closed).toBe(false);
  });

  it.each([
    ['a number', '42'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a boolean', 'true'],
    ['an empty object', '{}'],
    ['an object without jsonrpc', '{"id":1,"method":"daemon.health"}'],
    ['an object without method', '{"jsonrpc":"2.0","id":1}'],
    ['another jsonrpc version', '{"jsonrpc":"1.0","id":1,"method":"daemon.health"}'],
    ['a method that is not a string', '{"jsonrpc":"2.0","id":1,"method":42}'],
    ['an id that is an object', '{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.health"}'],
    ['an empty batch', '[]'],
  ])('answers %s with -32600 Invalid Request', async (_name, frame) => {
    const socket = await open();
    const [answer] = (await exchange(socket, frame)) as Answer[];
    expect(answer).toMatchObject({
      jsonrpc: '2.0',
      error: { code: ErrorCodes.INVALID_REQUEST, data: { code: 'INVALID_REQUEST' } },
    });
    expect(answer!.id === null || answer!.id === 1).toBe(true);
    expect(await request(socket, health('after'))).toMatchObject({ result: { live: true } });
  });

  it('answers an unknown method with -32601, echoing the id', async () => {
    const socket = await open();
    const answer = await request(socket, { jsonrpc: '2.0', id: 7, method: 'daemon.explode', params: {} });
    expect(answer).toMatchObject({
      id: 7,
      error: { code: ErrorCodes.METHOD_NOT_FOUND, data: { code: 'METHOD_NOT_FOUND' } },
    });
    // Names that exist on every JavaScript object are not methods either.
    for (const method of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(await request(socket, { jsonrpc: '2.0', id: method, method })).toMatchObject({
        error: { code: ErrorCodes.METHOD_NOT_FOUND },
      });
    }
  });

  it('answers invalid params with -32602 and the zod issues in data.issues', async () => {
    const socket = await open();
    const answer = await request(socket, {
      jsonrpc: '2.0',
      id: 'bad',
      method: 'mutation.apply',
      params: { mutation: { type: 'move' } },
    });
    expect(answer.error).toMatchObject({ code: ErrorCodes.INVALID_PARAMS, data: { code: 'INVALID_PARAMS' } });
    expect(answer.error!.message).toContain('mutation.apply');
    expect(answer.error!.data!.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'mutation.from' }),
        expect.objectContaining({ path: 'mutation.to' }),
      ]),
    );
    expect(await request(socket, { jsonrpc: '2.0', id: 'array', method: 'daemon.health', params: [1] })).toMatchObject({
      error: { code: ErrorCodes.INVALID_PARAMS },
    });
  });

  it('answers a frame past 8 MiB without a newline with FRAME_TOO_LARGE and closes; other clients are still served', async () => {
    const other = await open();
    const socket = await open();
    socket.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 'a'));
    // Resolves once the daemon has answered and closed the connection.
    await socket.waitForMessages(Number.POSITIVE_INFINITY);
    expect(socket.closed).toBe(true);
    expect(socket.messages).toHaveLength(1);
    expect(socket.messages[0]).toMatchObject({
      id: null,
      error: { code: ErrorCodes.FRAME_TOO_LARGE, data: { code: 'FRAME_TOO_LARGE', limit: MAX_FRAME_BYTES } },
    });
    expect(await request(other, health('other'))).toMatchObject({ result: { live: true } });
    const fresh = await open();
    expect(await request(fresh, health('fresh'))).toMatchObject({ result: { live: true } });
  });

  it('accepts a frame just under the cap', async () => {
    const socket = await open();
    const envelope = JSON.stringify({
      jsonrpc: '2.0',
      id: 'big',
      method: 'daemon.hello',
      params: { client: 'c', protocolVersion: 1 },
    });
    // Padded with JSON whitespace: no field may be that long (a client name is at most 128 characters).
    const frame = envelope.replace('{', '{' + ' '.repeat(MAX_FRAME_BYTES - Buffer.byteLength(envelope)));
    expect(Buffer.byteLength(frame)).toBe(MAX_FRAME_BYTES);
    socket.send(frame + '\n');
    expect(await answerWithId(socket, 'big')).toMatchObject({ result: { pid: daemon.pid } });
  });
});

describe('cursors the log cannot serve', () => {
  it('answers a cursor whose seq is past 2^53 with INVALID_PARAMS, not an internal error', async () => {
    const socket = await open();
    const answer = await request(socket, {
      jsonrpc: '2.0',
      id: 'huge',
      method: 'events.subscribe',
      params: { since: '1.99999999999999999999' },
    });
    expect(answer.error).toMatchObject({ code: ErrorCodes.INVALID_PARAMS, data: { code: 'INVALID_PARAMS' } });
    expect(answer.error!.message).toContain('since');
  });

  it('answers a cursor past the newest event with CURSOR_EXPIRED saying so', async () => {
    const socket = await open();
    const answer = await request(socket, {
      jsonrpc: '2.0',
      id: 'future',
      method: 'events.subscribe',
      params: { since: '1.999999' },
    });
    expect(answer.error).toMatchObject({
      code: ErrorCodes.CURSOR_EXPIRED,
      data: { code: 'CURSOR_EXPIRED', cursor: '1.999999' },
    });
    expect(answer.error!.message).toContain('past the newest event');
  });
});

describe('JSON-RPC batches', () => {
  it('refuses a batch of 10,000 requests with -32600 and keeps serving', async () => {
    const socket = await open();
    const batch = Array.from({ length: 10_000 }, (_, index) => health(index));
    const [answer] = (await exchange(socket, JSON.stringify(batch))) as Answer[];
    expect(answer).toMatchObject({
      id: null,
      error: { code: ErrorCodes.INVALID_REQUEST, data: { code: 'INVALID_REQUEST', limit: 1000 } },
    });
    expect(await request(socket, health('after'))).toMatchObject({ result: { live: true } });
  });

  it('answers a batch of 50 valid requests with 50 answers', async () => {
    const socket = await open();
    const batch = Array.from({ length: 50 }, (_, index) => health(index));
    const [answers] = (await exchange(socket, JSON.stringify(batch))) as Answer[][];
    expect(answers).toHaveLength(50);
    expect(answers!.map((answer) => answer.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      batch.map((item) => item.id),
    );
    for (const answer of answers!) expect(answer.result).toMatchObject({ live: true, pid: daemon.pid });
  });

  it('answers a batch of exactly 1000 requests', async () => {
    const socket = await open();
    const batch = Array.from({ length: 1000 }, (_, index) => health(index));
    const [answers] = (await exchange(socket, JSON.stringify(batch))) as Answer[][];
    expect(answers).toHaveLength(1000);
  });

  it('answers each member of a mixed batch on its own and notifications not at all', async () => {
    const socket = await open();
    const batch = [
      health('ok'),
      42,
      null,
      { jsonrpc: '2.0', method: 'daemon.health' },
      { jsonrpc: '2.0', id: 'missing', method: 'nope' },
    ];
    const [answers] = (await exchange(socket, JSON.stringify(batch))) as Answer[][];
    expect(answers).toHaveLength(4);
    const byId = (id: unknown) => answers!.filter((answer) => answer.id === id);
    expect(byId('ok')[0]).toMatchObject({ result: { live: true } });
    expect(byId('missing')[0]).toMatchObject({ error: { code: ErrorCodes.METHOD_NOT_FOUND } });
    expect(byId(null)).toHaveLength(2);
    for (const answer of byId(null)) expect(answer.error).toMatchObject({ code: ErrorCodes.INVALID_REQUEST });
  });
});

describe('hostile frames', () => {
  const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('answers an id nested 100,000 deep with -32600 instead of failing to encode the answer', async () => {
    const socket = await open();
    const [answer] = (await exchange(
      socket,
      `{"jsonrpc":"2.0","id":${deep(100_000)},"method":"daemon.health"}`,
    )) as Answer[];
    expect(answer).toMatchObject({ id: null, error: { code: ErrorCodes.INVALID_REQUEST } });
    expect(isDaemonAlive(daemon.pid)).toBe(true);
  });

  it('answers params nested 100,000 deep with an error', async () => {
    const socket = await open();
    socket.send(`{"jsonrpc":"2.0","id":"deep","method":"assets.list","params":{"kind":${deep(100_000)}}}\n`);
    expect((await answerWithId(socket, 'deep')).error).toMatchObject({ code: ErrorCodes.INVALID_PARAMS });
  });

  it('answers a bare array nested 100,000 deep', async () => {
    const socket = await open();
    const [answer] = await exchange(socket, deep(100_000));
    expect(JSON.stringify(answer)).toContain(String(ErrorCodes.INVALID_REQUEST));
  });

  it('leaves no internal error message on the wire for a batch holding null', async () => {
    const socket = await open();
    const [answers] = (await exchange(socket, '[null]')) as Answer[][];
    expect(answers).toEqual([
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: ErrorCodes.INVALID_REQUEST }) }),
    ]);
  });

  it('keeps serving a normal client after all of it', async () => {
    const client = await connectClient(daemon.root, 'after-hostile');
    expect(await client.call('daemon.health', {})).toMatchObject({ live: true, pid: daemon.pid });
    await client.close();
    expect(isDaemonAlive(daemon.pid)).toBe(true);
  });
});
