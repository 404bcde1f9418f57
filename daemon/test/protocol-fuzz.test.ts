import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '@packer/core/contract';
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
let registryBefore: string;

beforeAll(async () => {
  daemon = await startDaemon();
  registryBefore = readFileSync(path.join(daemon.root, 'packer.registry.json'), 'utf8');
});

afterAll(async () => {
  await stopDaemon(daemon);
});

const knownCodes = new Set<number>(Object.values(ErrorCodes));

async function answerWithId(socket: RawSocket, id: unknown, timeoutMs = 10_000): Promise<Answer | 'closed'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (socket.messages as Answer[]).find((message) => !Array.isArray(message) && message.id === id);
    if (found) return found;
    if (socket.closed) return 'closed';
    await socket.waitForMessages(socket.messages.length + 1, Math.max(1, deadline - Date.now()));
  }
}

/** An error answer the packer owns: a known code other than INTERNAL, a stable `data.code`, no stack trace, no
 * `result`. */
function expectPackerError(answer: Answer): void {
  expect(answer.result).toBeUndefined();
  expect(knownCodes.has(answer.error!.code)).toBe(true);
  expect(answer.error!.code).not.toBe(ErrorCodes.INTERNAL);
  expect(typeof answer.error!.data?.code).toBe('string');
  expect(answer.error!.message).not.toMatch(/\n\s+at /);
}

/**
 * Sends a frame, then a health request as a sentinel. Once the sentinel is answered (or the connection closed),
 * every other message on the socket must be an error answer to the frame, and a non-blank frame gets one.
 */
async function sendAndCheck(socket: RawSocket, body: Uint8Array, sentinelId: string): Promise<void> {
  const start = socket.messages.length;
  socket.send(Buffer.concat([body, Buffer.from('\n')]));
  socket.send(JSON.stringify({ jsonrpc: '2.0', id: sentinelId, method: 'daemon.health' }) + '\n');
  const sentinel = await answerWithId(socket, sentinelId);
  if (sentinel === 'closed') return; // a closed connection is an allowed answer; the daemon's health is checked after
  expect(sentinel.result).toMatchObject({ live: true });
  // The decoder drops frames that are blank once decoded and trimmed: they get no answer.
  const expected = Buffer.from(body).toString('utf8').trim().length > 0 ? 1 : 0;
  const others = () => socket.messages.slice(start).filter((message) => (message as Answer).id !== sentinelId);
  if (others().length < expected) await socket.waitForMessages(socket.messages.length + (expected - others().length));
  expect(others()).toHaveLength(expected);
  for (const message of others()) {
    for (const answer of Array.isArray(message) ? (message as Answer[]) : [message as Answer])
      expectPackerError(answer);
  }
}

/** Bytes without a newline (the frame boundary), so each sample is exactly one frame. */
const oneFrame = (bytes: Uint8Array) => Uint8Array.from(bytes.filter((byte) => byte !== 0x0a));

describe('random input never crashes the daemon', () => {
  it('answers ~100 random byte frames, each on a fresh connection, with errors', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }).map(oneFrame),
          fc.string({ unit: 'binary', maxLength: 200 }).map((text) => oneFrame(Buffer.from(text))),
          fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((text) => oneFrame(Buffer.from(text))),
        ),
        async (body) => {
          const socket = await RawSocket.connect(daemon.socketPath);
          try {
            await sendAndCheck(socket, body, `sentinel-${run++}`);
          } finally {
            socket.close();
          }
        },
      ),
      { numRuns: 100 },
    );
    expect(isDaemonAlive(daemon.pid)).toBe(true);
  });

  it('answers ~100 JSON texts that are not requests, all on one connection, with errors', async () => {
    const socket = await RawSocket.connect(daemon.socketPath);
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.json({ maxDepth: 4 }),
            // Near misses: request-shaped objects with one part wrong.
            fc
              .record(
                {
                  jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue()),
                  id: fc.jsonValue(),
                  method: fc.jsonValue(),
                  params: fc.jsonValue(),
                },
                { requiredKeys: [] },
              )
              .filter((request) => !(request.jsonrpc === '2.0' && typeof request.method === 'string'))
              .map((request) => JSON.stringify(request)),
          ),
          async (text) => sendAndCheck(socket, Buffer.from(text), `sentinel-${run++}`),
        ),
        { numRuns: 100 },
      );
    } finally {
      socket.close();
    }
  });

  it('answers ~100 requests for real methods with random params exactly once, never with an internal error', async () => {
    const methods = [
      'daemon.hello',
      'daemon.health',
      'snapshot.summary',
      'snapshot.get',
      'assets.list',
      'assets.get',
      'diagnostics.list',
      'mutation.preview',
      'operations.list',
      'operations.get',
      'operations.cancel',
      'events.subscribe',
      'events.unsubscribe',
      'audit.list',
      'no.such.method',
    ];
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '..',
        '../outside.png',
        '/etc/passwd',
        'assets',
        'assets/sprites',
        'a_01JP9Y5A864R5WBBZSKVQTYG01',
        '\u0000',
        'C:\\x',
      ),
    );
    const looseParams = fc.record(
      {
        client: text,
        protocolVersion: fc.integer(),
        ref: text,
        kind: text,
        tag: text,
        pathPrefix: text,
        status: fc.constantFrom('present', 'missing', 'untracked', 'other'),
        limit: fc.oneof(fc.integer({ min: -5, max: 6000 }), fc.double()),
        page: fc.oneof(text, fc.constantFrom('1:0', '999:5', '1:-1')),
        severity: text,
        code: text,
        operationId: text,
        subscriptionId: text,
        since: fc.oneof(
          text,
          fc.tuple(fc.nat(3), fc.nat(100)).map(([generation, seq]) => `${generation}.${seq}`),
          fc.stringMatching(/^\d{1,25}\.\d{1,25}$/),
        ),
        mutation: fc.record(
          {
            type: fc.constantFrom('move', 'register', 'remove', 'update', 'reconcile', 'explode'),
            from: text,
            to: text,
            paths: fc.array(text, { maxLength: 3 }),
            targets: fc.array(text, { maxLength: 3 }),
            target: text,
            deleteFiles: fc.boolean(),
            settings: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
          },
          { requiredKeys: ['type'] },
        ),
      },
      { requiredKeys: [] },
    );
    const socket = await RawSocket.connect(daemon.socketPath);
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...methods),
          fc.oneof(looseParams, fc.jsonValue({ maxDepth: 3 })),
          async (method, params) => {
            const id = `fuzz-${run++}`;
            socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
            const answer = await answerWithId(socket, id);
            expect(answer).not.toBe('closed');
            const { error, result } = answer as Answer;
            expect(error === undefined).toBe(result !== undefined);
            if (error) expectPackerError(answer as Answer);
            expect((socket.messages as Answer[]).filter((message) => message.id === id)).toHaveLength(1);
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      socket.close();
    }
    // Previews and reads change nothing on disk.
    expect(readFileSync(path.join(daemon.root, 'packer.registry.json'), 'utf8')).toBe(registryBefore);
  });

  it('still serves a normal client, from the same process, afterwards', async () => {
    const client = await connectClient(daemon.root, 'after-fuzz');
    const health = await client.call('daemon.health', {});
    expect(health).toMatchObject({ live: true, ready: true, pid: daemon.pid });
    expect(isDaemonAlive(daemon.pid)).toBe(true);
    expect(daemon.child.exitCode).toBeNull();
    await client.close();
  });
});
