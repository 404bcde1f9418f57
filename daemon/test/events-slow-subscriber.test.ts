import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { formatCursor, PackerError, PROTOCOL_VERSION, type EventEnvelope } from '@packer/core/contract';
import { connectToDaemon, DaemonClient, RpcConnection, socketTransport, type ProjectClient } from '@packer/client';
import { connectTestHooks, type TestHooksConnection } from '@packer/daemon/testing';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { findGap, isTerminal, seqOf, StreamRecorder } from './support/event-stream.js';

let daemon: DaemonProcess | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

async function connect(root: string, name: string): Promise<ProjectClient> {
  const client = await connectClient(root, name);
  closers.push(() => client.close());
  return client;
}

/** One test-hooks connection per project, reused: some tests start thousands of operations at once. */
const hookConnections = new Map<string, Promise<TestHooksConnection>>();

async function longOperation(
  client: ProjectClient,
  progressEvents: number,
  holdUntilCancelled = false,
): Promise<string> {
  const root = client.hello.projectRoot;
  let hooks = hookConnections.get(root);
  if (!hooks) {
    hooks = connectTestHooks(root);
    hookConnections.set(root, hooks);
    closers.push(async () => {
      hookConnections.delete(root);
      (await hooks!).close();
    });
  }
  return (await hooks).startOperation({ progressEvents, holdUntilCancelled });
}

function openSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A raw contract connection, to see `events.subscribe`'s own answer and the notifications as sent. */
async function rawConnection(root: string): Promise<{ connection: RpcConnection; events: StreamRecorder }> {
  const { connection } = await connectToDaemon(root, { client: 'raw', autoStart: false });
  closers.push(() => connection.close());
  const events = new StreamRecorder();
  connection.onNotification('events.event', (params) => events.onEvent((params as { event: EventEnvelope }).event));
  return { connection, events };
}

/**
 * The log itself, as the oracle: a replay after the fact is paged (it never queues more than a page, so nothing
 * is coalesced) and must be gap-free.
 */
async function logBetween(root: string, since: string, until: string): Promise<EventEnvelope[]> {
  const { connection, events } = await rawConnection(root);
  await connection.call('events.subscribe', { since });
  await events.waitForCursor(until);
  connection.close();
  const log = events.between(since, until);
  expect(findGap(log, seqOf(since))).toBeUndefined();
  expect(log.at(-1)!.cursor).toBe(until);
  return log;
}

/** Events that may never be dropped for a slow subscriber: everything but progress. */
const mustDeliver = (events: readonly EventEnvelope[]) => events.filter((event) => event.type !== 'progress');

/** A stream that is a subsequence of the log (only progress missing), each event exactly as logged. */
function expectCoalescedFrom(log: readonly EventEnvelope[], stream: readonly EventEnvelope[]): void {
  const byCursor = new Map(log.map((event) => [event.cursor, event]));
  for (let index = 1; index < stream.length; index++)
    expect(seqOf(stream[index]!)).toBeGreaterThan(seqOf(stream[index - 1]!));
  for (const event of stream) expect(event).toEqual(byCursor.get(event.cursor));
  expect(mustDeliver(stream)).toEqual(mustDeliver(log));
}

interface Closed {
  subscriptionId: string;
  code: string;
  reason: string;
  resumeCursor: string;
}

/**
 * A subscriber on a raw socket that can stop reading (`pause()`), so the daemon sees its socket fill up exactly
 * as it would for a frozen Studio window. It resubscribes from `resumeCursor` when told it overflowed, and
 * collects the events of every subscription it held, in arrival order.
 */
class StalledSubscriber {
  readonly events: EventEnvelope[] = [];
  readonly closed: Closed[] = [];
  private readonly responses = new Map<number, { result?: unknown; error?: { message: string } }>();
  private subscriptionId: string | undefined;
  private buffer = '';
  private nextId = 1;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => undefined);
  }

  static async open(socketPath: string, since?: string): Promise<StalledSubscriber> {
    const subscriber = new StalledSubscriber(await openSocket(socketPath));
    closers.push(() => subscriber.socket.destroy());
    await subscriber.request('daemon.hello', { client: 'stalled', protocolVersion: PROTOCOL_VERSION });
    await subscriber.request('events.subscribe', since ? { since } : {});
    return subscriber;
  }

  /** Stops reading: what the daemon sends piles up in the kernel, then in the daemon's queue. */
  stall(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Reads until `done` holds over the collected events, resubscribing after an overflow. */
  async readUntil(done: (events: EventEnvelope[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      const overflowed = this.closed.find((closed) => closed.subscriptionId === this.subscriptionId);
      if (overflowed) {
        expect(overflowed.code).toBe('SUBSCRIBER_OVERFLOW');
        await this.request('events.subscribe', { since: overflowed.resumeCursor });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; ${this.events.length} events, last ${this.events.at(-1)?.cursor}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }

  private async request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    this.socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    while (!this.responses.has(id)) await new Promise<void>((resolve) => (this.wake = resolve));
    const response = this.responses.get(id)!;
    if (response.error) throw new Error(`${method}: ${response.error.message}`);
    return response.result;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let index: number;
    while ((index = this.buffer.indexOf('\n')) !== -1) {
      const message = JSON.parse(this.buffer.slice(0, index)) as {
        id?: number;
        method?: string;
        params?: unknown;
        result?: unknown;
      };
      this.buffer = this.buffer.slice(index + 1);
      if (message.method === 'events.event') {
        const { subscriptionId, event } = message.params as { subscriptionId: string; event: EventEnvelope };
        if (subscriptionId === this.subscriptionId) this.events.push(event);
      } else if (message.method === 'events.closed') {
        this.closed.push(message.params as Closed);
      } else if (message.id !== undefined) {
        // Take a new subscription's id before reading on: its first events may share this chunk.
        const subscriptionId = (message.result as { subscriptionId?: string } | undefined)?.subscriptionId;
        if (subscriptionId !== undefined) this.subscriptionId = subscriptionId;
        this.responses.set(message.id, message);
      }
    }
    this.wake?.();
  }
}

/** The client library over a socket the test can pause: a Studio whose UI thread stopped reading. */
async function pausableClient(
  socketPath: string,
): Promise<{ client: DaemonClient; socket: () => net.Socket; closed: Closed[] }> {
  let socket: net.Socket | undefined;
  const closed: Closed[] = [];
  const client = await new DaemonClient(
    async () => {
      socket = await openSocket(socketPath);
      const connection = new RpcConnection(socketTransport(socket));
      connection.onNotification('events.closed', (params) => closed.push(params));
      const hello = await connection.call('daemon.hello', { client: 'pausable', protocolVersion: PROTOCOL_VERSION });
      return { connection, hello };
    },
    { reconnect: false },
  ).open();
  closers.push(() => client.close());
  return { client, socket: () => socket!, closed };
}

describe('a slow subscriber', () => {
  it('gets every lifecycle event once, in order, with progress coalesced, and never holds back the lane or other clients', async () => {
    daemon = await startDaemon();
    const normal = await connect(daemon.root, 'normal');
    const live = new StreamRecorder();
    await normal.subscribe({ onEvent: live.onEvent });
    const stalled = await StalledSubscriber.open(daemon.socketPath);
    stalled.stall();
    const from = normal.hello.cursor;

    const operationId = await longOperation(normal, 30_000);
    await live.waitFor(
      (event) => event.operationId === operationId && event.type === 'progress',
      'the first progress event',
    );
    const during = await normal.call('daemon.health', {});
    expect(during.live).toBe(true);
    expect(during.subscribers).toBe(2);
    const completed = await live.terminalOf(operationId);
    expect(completed.type).toBe('completed');

    // With the stalled socket still not reading, the daemon answers and the lane takes more work.
    const after = await normal.call('daemon.health', {});
    expect(after.laneDepth).toBe(0);
    expect(after.subscribers).toBe(2);
    const move = await normal.call('mutation.apply', {
      mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
    });
    const moved = await live.terminalOf(move.operationId);
    expect(moved.type).toBe('completed');
    expect(stalled.events.some((event) => event.operationId === operationId && isTerminal(event))).toBe(false);

    // Reading again, the stalled one gets the rest.
    stalled.resume();
    await stalled.readUntil(
      (events) => events.some((event) => event.operationId === move.operationId && isTerminal(event)),
      'the move to complete on the stalled socket',
    );

    // Both streams are the log minus some progress: every lifecycle and state event, once, in order.
    const log = await logBetween(daemon.root, from, moved.cursor);
    const operation = (events: readonly EventEnvelope[]) => events.filter((event) => event.operationId === operationId);
    expect(operation(log).map((event) => event.type)).toEqual([
      'queued',
      'started',
      ...Array<string>(30_000).fill('progress'),
      'completed',
    ]);
    for (const stream of [live.between(from, moved.cursor), stalled.events]) {
      expectCoalescedFrom(log, stream);
      const mine = operation(stream);
      expect(mustDeliver(mine).map((event) => event.type)).toEqual(['queued', 'started', 'completed']);
      // Latest value wins: the last progress before `completed` is the final one.
      expect(mine.at(-2)!.payload).toMatchObject({ done: 30_000, total: 30_000 });
    }
    // The stalled one really was held back and coalesced; it is the one that lost progress, not the lane.
    expect(operation(stalled.events).filter((event) => event.type === 'progress').length).toBeLessThan(30_000);
  });

  it('is closed with SUBSCRIBER_OVERFLOW past the hard cap; raw and library clients resume from `resumeCursor` without losing or repeating an event', async () => {
    daemon = await startDaemon();
    const writer = await connect(daemon.root, 'writer');
    const from = writer.hello.cursor;
    const stalled = await StalledSubscriber.open(daemon.socketPath, from);
    const pausable = await pausableClient(daemon.socketPath);
    const library = new StreamRecorder();
    await pausable.client.subscribe({ since: from, onEvent: library.onEvent });
    stalled.stall();
    pausable.socket().pause();

    // 5,000 operations without progress: 15,000 must-deliver lifecycle events, past the hard cap of 10,000.
    const operations = await Promise.all(Array.from({ length: 5_000 }, () => longOperation(writer, 0)));
    const last = operations.at(-1)!;
    // The writer does not subscribe; it asks until the lane has run the last one (each ask is a round trip, no timer).
    while ((await writer.call('operations.get', { operationId: last })).state !== 'completed');

    stalled.resume();
    pausable.socket().resume();
    const isLast = (event: EventEnvelope) => event.operationId === last && isTerminal(event);
    await stalled.readUntil((events) => events.some(isLast), 'the last operation to complete on the raw socket');
    await library.waitFor(isLast, 'the last operation to complete on the library client');

    for (const closed of [stalled.closed, pausable.closed]) {
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatchObject({
        code: 'SUBSCRIBER_OVERFLOW',
        resumeCursor: expect.stringMatching(/^\d+\.\d+$/),
      });
    }
    // What the raw one read before the close ends exactly at resumeCursor; its resubscription continues right after.
    const resumeCursor = stalled.closed[0]!.resumeCursor;
    expect(stalled.events.filter((event) => seqOf(event) <= seqOf(resumeCursor)).at(-1)?.cursor).toBe(resumeCursor);
    const end = stalled.events.find(isLast)!.cursor;
    const log = await logBetween(daemon.root, from, end);
    expect(stalled.events.filter((event) => seqOf(event) <= seqOf(end))).toEqual(log);
    expect(library.between(from, end)).toEqual(log);
    const terminals = new Set(log.filter(isTerminal).map((event) => event.operationId));
    expect(operations.every((operationId) => terminals.has(operationId))).toBe(true);
  });
});

describe('replay', () => {
  it('from an older cursor sends exactly the later events, from disk past the in-memory tail, then follows live', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root, 'writer');
    const live = new StreamRecorder();
    await client.subscribe({ onEvent: live.onEvent });
    const from = client.hello.cursor;
    // 5,000 progress events: more than the log keeps in memory (1,024), so the replay pages through segment files.
    const long = await longOperation(client, 5_000);
    await live.terminalOf(long);
    const move = await client.call('mutation.apply', {
      mutation: { type: 'move', from: 'assets/data/items.json', to: 'assets/data/loot.json' },
    });
    const until = (await live.terminalOf(move.operationId)).cursor;

    const full = await rawConnection(daemon.root);
    const answer = await full.connection.call('events.subscribe', { since: from });
    expect(answer.restarted).toBe(false);
    expect(answer.replayed).toBe(seqOf(answer.cursor) - seqOf(from));
    await full.events.waitForCursor(until);
    const replay = full.events.between(from, until);
    expect(replay[0]!.cursor).toBe(formatCursor(answer.generation, seqOf(from) + 1));
    expect(findGap(replay, seqOf(from))).toBeUndefined();
    expect(replay.filter((event) => event.operationId === long).map((event) => event.sequence)).toEqual(
      Array.from({ length: 5_003 }, (_, index) => index + 1),
    );
    // What the live subscriber got is the same log (progress perhaps coalesced: it may lag a burst of 5,000).
    expectCoalescedFrom(replay, live.between(from, until));

    // From a cursor in the middle: exactly the events after it, then live ones on the same subscription.
    const middle = replay[2_500]!.cursor;
    const partial = await rawConnection(daemon.root);
    const partialAnswer = await partial.connection.call('events.subscribe', { since: middle });
    expect(partialAnswer.replayed).toBe(seqOf(partialAnswer.cursor) - seqOf(middle));
    await partial.events.waitForCursor(until);
    expect(partial.events.between(middle, until)).toEqual(replay.filter((event) => seqOf(event) > seqOf(middle)));
    expect(partial.events.events[0]!.cursor).toBe(replay[2_501]!.cursor);
    const next = await client.call('mutation.apply', {
      mutation: { type: 'update', target: 'assets/data/loot.json', addTags: ['live'] },
    });
    expect((await partial.events.terminalOf(next.operationId)).type).toBe('completed');
    expect(findGap(partial.events.events, seqOf(middle))).toBeUndefined();
  });

  it("gives a second subscription on a busy connection its own replay, not the other subscription's live events", async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root, 'two-subscriptions');
    const live = new StreamRecorder();
    await client.subscribe({ onEvent: live.onEvent });
    const from = client.hello.cursor;
    const long = await longOperation(client, 10_000);
    await live.waitFor(
      (event) => event.operationId === long && event.type === 'progress',
      'progress on the first subscription',
    );
    // Subscribing while the first subscription streams: its events arrive during the second one's attach.
    const second = new StreamRecorder();
    await client.subscribe({ since: from, onEvent: second.onEvent });
    const end = await second.terminalOf(long);
    expect(seqOf(second.events[0]!)).toBe(seqOf(from) + 1);
    expectCoalescedFrom(
      await logBetween(daemon.root, from, end.cursor),
      second.events.filter((event) => seqOf(event) <= seqOf(end)),
    );
  });

  it('says CURSOR_EXPIRED for a cursor the log rotated past, and for one from a log it never had', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root, 'writer');
    const old = client.hello.cursor;
    // About 200 bytes an event: 200,000 of them fill more than the 8 segments of 4 MiB the log keeps, so the oldest go.
    const long = await longOperation(client, 200_000);
    // Nobody subscribes to those 200,000 events; ask until the lane has run them (each ask is a round trip, no timer).
    while ((await client.call('operations.get', { operationId: long })).state !== 'completed');
    const { connection } = await rawConnection(daemon.root);
    const { cursor: current, generation, subscriptionId } = await connection.call('events.subscribe', {});
    await connection.call('events.unsubscribe', { subscriptionId });

    const expired = await connection.call('events.subscribe', { since: old }).catch((error: unknown) => error);
    expect(expired).toBeInstanceOf(PackerError);
    expect((expired as PackerError).code).toBe('CURSOR_EXPIRED');
    const { oldestCursor, currentCursor } = (expired as PackerError).data as {
      oldestCursor: string;
      currentCursor: string;
    };
    expect(seqOf(oldestCursor)).toBeGreaterThan(seqOf(old) + 1);
    expect(currentCursor).toBe(current);

    // A cursor ahead of the log belongs to another (wiped) log: expired too, never silently "caught up".
    const ahead = await connection
      .call('events.subscribe', { since: formatCursor(generation, seqOf(current) + 1_000) })
      .catch((error: unknown) => error);
    expect((ahead as PackerError).code).toBe('CURSOR_EXPIRED');

    // The oldest cursor the log still answers for starts the replay right at the oldest event it holds.
    const edge = await rawConnection(daemon.root);
    await edge.connection.call('events.subscribe', { since: formatCursor(generation, seqOf(oldestCursor) - 1) });
    const first = await edge.events.waitFor(() => true, 'the first replayed event');
    expect(first.cursor).toBe(oldestCursor);
    edge.connection.close();
  });

  it('the client library reports an expired cursor, then goes on without a gap', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root, 'library');
    // A cursor past the newest event: what a client holds after `.packer/` was wiped and the daemon restarted.
    const seq = seqOf(client.hello.cursor);
    const stale = formatCursor(client.hello.generation, seq + 5_000);
    const expiries: string[] = [];
    const resumed = new StreamRecorder();
    await client.subscribe({ since: stale, onEvent: resumed.onEvent, onExpired: (info) => expiries.push(info.cursor) });
    expect(expiries).toEqual([stale]);
    const move = await client.call('mutation.apply', {
      mutation: { type: 'move', from: 'assets/bin/navmesh.bin', to: 'assets/bin/navmesh-v2.bin' },
    });
    expect((await resumed.terminalOf(move.operationId)).type).toBe('completed');
    // It resumes from what the log holds (or from now), never from the stale cursor, and misses nothing after.
    expect(seqOf(resumed.events[0]!)).toBeLessThanOrEqual(seq + 1);
    expect(findGap(resumed.events)).toBeUndefined();
    expect(resumed.events.filter((event) => event.operationId === move.operationId).map((event) => event.type)).toEqual(
      ['queued', 'started', 'completed'],
    );
  });
});
