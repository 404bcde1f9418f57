import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatCursor,
  parseCursor,
  TERMINAL_EVENT_TYPES,
  type EventEnvelope,
  type EventType,
} from '@packer/core/contract';
import { EventLog } from './event-log.js';
import { ManualSink } from '../testing/manual-sink.js';
import { SubscriberQueue, type QueueOverflow } from './subscriber-queue.js';

const isMustDeliver = (event: EventEnvelope): boolean => event.type !== 'progress' || event.operationId === undefined;
const seqOf = (event: EventEnvelope): number => parseCursor(event.cursor).seq;

/** The guarantees a subscriber relies on, checked on what it received against what was pushed. */
function expectDeliveryInvariants(pushed: EventEnvelope[], delivered: EventEnvelope[], complete: boolean): void {
  // A subsequence of the input: nothing invented, nothing reordered, so cursors only increase.
  const indexOf = new Map(pushed.map((event, index) => [event.cursor, index]));
  let previous = -1;
  for (const event of delivered) {
    const index = indexOf.get(event.cursor);
    expect(index, `delivered ${event.cursor} was never pushed`).toBeDefined();
    expect(index ?? -1).toBeGreaterThan(previous);
    expect(event).toEqual(pushed[index ?? -1]);
    previous = index ?? previous;
  }
  // Every must-deliver event, in input order (a prefix of them if the queue gave up).
  const mustIn = pushed.filter(isMustDeliver).map((event) => event.cursor);
  const mustOut = delivered.filter(isMustDeliver).map((event) => event.cursor);
  expect(mustOut).toEqual(complete ? mustIn : mustIn.slice(0, mustOut.length));
  // Per operation: sequences increase, and nothing follows the terminal event.
  const lastSequence = new Map<string, number>();
  const terminated = new Set<string>();
  for (const event of delivered) {
    if (event.operationId === undefined) continue;
    expect(
      terminated.has(event.operationId),
      `${event.type} ${event.cursor} after the terminal event of ${event.operationId}`,
    ).toBe(false);
    expect(event.sequence ?? 0).toBeGreaterThan(lastSequence.get(event.operationId) ?? 0);
    lastSequence.set(event.operationId, event.sequence ?? 0);
    if (TERMINAL_EVENT_TYPES.has(event.type)) terminated.add(event.operationId);
  }
  // Latest value wins: each operation's newest progress survives coalescing.
  if (complete) {
    const newestProgress = new Map<string, string>();
    for (const event of pushed)
      if (event.type === 'progress' && event.operationId !== undefined)
        newestProgress.set(event.operationId, event.cursor);
    const deliveredCursors = new Set(delivered.map((event) => event.cursor));
    for (const cursor of newestProgress.values()) expect(deliveredCursors.has(cursor)).toBe(true);
  }
}

function failOnOverflow(overflow: QueueOverflow): never {
  throw new Error(`unexpected overflow: ${overflow.reason}`);
}

describe('SubscriberQueue beside a real log', () => {
  let dir: string;
  let log: EventLog;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'packer-subscriber-queue-'));
    log = EventLog.open(dir);
  });
  afterEach(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays bounded for a stalled subscriber, coalesces its progress, and keeps every lifecycle event in order', () => {
    const slowSink = new ManualSink(0);
    const slow = new SubscriberQueue(slowSink, { startCursor: log.lastCursor, onOverflow: failOnOverflow });
    const fastSink = new ManualSink();
    const fast = new SubscriberQueue(fastSink, { startCursor: log.lastCursor, onOverflow: failOnOverflow });
    log.onAppend((event) => slow.push(event));
    log.onAppend((event) => fast.push(event));
    let maxQueued = 0;
    log.onAppend(() => (maxQueued = Math.max(maxQueued, slow.queued)));

    const ops = ['op-1', 'op-2', 'op-3', 'op-4', 'op-5'];
    const sequence = new Map<string, number>();
    const emit = (operationId: string, type: EventType, payload: unknown): EventEnvelope => {
      const next = (sequence.get(operationId) ?? 0) + 1;
      sequence.set(operationId, next);
      return log.append({ type, operationId, sequence: next, payload });
    };
    for (const op of ops) emit(op, 'queued', { kind: 'build', laneDepth: 1, summary: op });
    for (const op of ops) emit(op, 'started', { kind: 'build', baseRevision: 1 });
    for (let i = 0; i < 5000; i += 1) {
      const op = ops[i % ops.length] ?? 'op-1';
      emit(op, 'progress', { done: Math.floor(i / ops.length) + 1, total: 1000 });
      if (i % 1000 === 999)
        log.append({ type: 'snapshot.changed', payload: { revision: i, previousRevision: i - 1, cause: 'test' } });
    }
    const terminals: EventType[] = ['completed', 'failed', 'cancelled', 'completed', 'completed'];
    ops.forEach((op, index) => emit(op, terminals[index] ?? 'completed', { kind: 'build' }));
    const pushed = log.readSince(0);
    if (!('events' in pushed)) throw new Error('log expired unexpectedly');
    expect(pushed.events).toHaveLength(5 * 3 + 5000 + 5);

    expect(maxQueued).toBeLessThanOrEqual(1001);
    expect(slow.delivered).toBe(1);
    expect(slow.coalesced).toBeGreaterThan(3900);
    expect(slow.queued).toBeLessThanOrEqual(slow.queuedMustDeliver + ops.length);

    slowSink.drain();
    expect(slow.queued).toBe(0);
    expect(slow.delivered + slow.coalesced).toBe(pushed.events.length);
    expectDeliveryInvariants(pushed.events, slowSink.received, true);
    const lastDone = (op: string): unknown =>
      slowSink.received.filter((event) => event.operationId === op && event.type === 'progress').at(-1)?.payload;
    for (const op of ops) expect(lastDone(op)).toEqual({ done: 1000, total: 1000 });

    // The fast subscriber next to it got everything, uncoalesced, as it happened.
    expect(fastSink.received).toEqual(pushed.events);
    expect(fast.coalesced).toBe(0);
  });

  it('overflows past the hard limit with the cursor of the last delivered event, from which the log replays the rest', () => {
    const sink = new ManualSink(3);
    const overflows: QueueOverflow[] = [];
    const queue = new SubscriberQueue(sink, {
      startCursor: log.lastCursor,
      hardLimit: 50,
      onOverflow: (overflow) => overflows.push(overflow),
    });
    log.onAppend((event) => queue.push(event));
    for (let i = 1; i <= 100; i += 1)
      log.append({ type: 'snapshot.changed', payload: { revision: i, previousRevision: i - 1, cause: 'test' } });

    expect(overflows).toHaveLength(1);
    expect(overflows[0]?.code).toBe('SUBSCRIBER_OVERFLOW');
    expect(overflows[0]?.reason).toMatch(/hard limit 50/);
    expect(overflows[0]?.resumeCursor).toBe(sink.received.at(-1)?.cursor);
    expect(sink.received.map(seqOf)).toEqual([1, 2, 3]);
    expect(queue.closed).toBe(true);
    sink.drain();
    expect(sink.received).toHaveLength(3);

    const rest = log.readSince(parseCursor(overflows[0]?.resumeCursor ?? '0.0').seq);
    expect('events' in rest && [...sink.received, ...rest.events].map(seqOf)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });
});

describe('SubscriberQueue', () => {
  let seq = 0;
  const event = (type: EventType, operationId?: string, sequence?: number): EventEnvelope => {
    seq += 1;
    return {
      cursor: formatCursor(1, seq),
      type,
      time: '2025-01-01T00:00:00.000Z',
      operationId,
      sequence,
      payload: { done: seq },
    };
  };

  it('never overflows on progress alone, however many arrive', () => {
    const queue = new SubscriberQueue(new ManualSink(0), {
      startCursor: '1.0',
      softLimit: 100,
      hardLimit: 10,
      onOverflow: failOnOverflow,
    });
    for (let i = 1; i <= 20_000; i += 1) queue.push(event('progress', `op-${i % 3}`, i));
    expect(queue.queued).toBeLessThanOrEqual(3);
    expect(queue.closed).toBe(false);
  });

  it('delivers everything uncoalesced while under the soft limit', () => {
    const sink = new ManualSink(0);
    const queue = new SubscriberQueue(sink, { startCursor: '1.0', softLimit: 1000, onOverflow: failOnOverflow });
    for (let i = 1; i <= 500; i += 1) queue.push(event('progress', 'op', i));
    sink.drain();
    expect(sink.received).toHaveLength(500);
    expect(queue.coalesced).toBe(0);
  });

  it('treats a progress event without an operationId as must-deliver', () => {
    const sink = new ManualSink(0);
    const queue = new SubscriberQueue(sink, { startCursor: '1.0', softLimit: 2, onOverflow: failOnOverflow });
    for (let i = 0; i < 10; i += 1) queue.push(event('progress'));
    expect(queue.queuedMustDeliver).toBe(9);
    sink.drain();
    expect(sink.received).toHaveLength(10);
  });

  it('resumes sending when the sink reports drain from inside send', () => {
    const received: EventEnvelope[] = [];
    let drain: () => void = () => undefined;
    const sink: EventSink = {
      send: (sent) => {
        received.push(sent);
        drain();
        return false;
      },
      onDrain: (listener) => {
        drain = listener;
      },
    };
    const queue = new SubscriberQueue(sink, { startCursor: '1.0', onOverflow: failOnOverflow });
    for (let i = 0; i < 5; i += 1) queue.push(event('snapshot.changed'));
    expect(received).toHaveLength(5);
  });
});

// A model of valid producers: operations go queued → started → progress* → terminal, interleaved with state events.
type Action =
  | { kind: 'op'; slot: number; finish: boolean }
  | { kind: 'state' }
  | { kind: 'drain'; budget: number }
  | { kind: 'stall' };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  // Mostly progress: an operation finishes on about one step in six.
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('op' as const), slot: fc.nat(3), finish: fc.nat(5).map((n) => n === 0) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'state' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), budget: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stall' as const }) },
);

describe('SubscriberQueue invariants under random interleavings', () => {
  it('keeps order, lifecycle completeness, per-operation sequence and boundedness', () => {
    fc.assert(
      fc.property(
        fc.array(actionArbitrary, { maxLength: 400, size: 'large' }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 5, max: 80 }),
        (actions, softLimit, hardLimit) => {
          const sink = new ManualSink(0);
          const overflows: QueueOverflow[] = [];
          const queue = new SubscriberQueue(sink, {
            startCursor: '1.0',
            softLimit,
            hardLimit,
            onOverflow: (overflow) => overflows.push(overflow),
          });
          const pushed: EventEnvelope[] = [];
          const slots: ({ id: string; sequence: number } | undefined)[] = [];
          let operations = 0;
          const push = (type: EventType, operationId?: string, sequence?: number): void => {
            const next: EventEnvelope = {
              cursor: formatCursor(1, pushed.length + 1),
              type,
              time: 't',
              operationId,
              sequence,
              payload: { n: pushed.length },
            };
            pushed.push(next);
            queue.push(next);
          };

          for (const action of actions) {
            if (action.kind === 'drain') sink.drain(action.budget);
            else if (action.kind === 'stall') sink.stall();
            else if (action.kind === 'state') push('snapshot.changed');
            else {
              let slot = slots[action.slot];
              if (slot === undefined) {
                operations += 1;
                slot = { id: `op-${operations}`, sequence: 0 };
                slots[action.slot] = slot;
              }
              slot.sequence += 1;
              const type: EventType =
                slot.sequence === 1
                  ? 'queued'
                  : slot.sequence === 2
                    ? 'started'
                    : action.finish
                      ? 'completed'
                      : 'progress';
              push(type, slot.id, slot.sequence);
              if (type === 'completed') slots[action.slot] = undefined;
            }
            // Coalescing leaves at most one progress per operation: the 4 running ones, plus those whose terminal is
            // still queued.
            if (!queue.closed)
              expect(queue.queued).toBeLessThanOrEqual(Math.max(softLimit, 2 * queue.queuedMustDeliver + 4));
          }
          sink.drain();

          const complete = overflows.length === 0;
          expectDeliveryInvariants(pushed, sink.received, complete);
          if (complete) {
            expect([queue.queued, queue.queuedMustDeliver]).toEqual([0, 0]);
            expect(queue.delivered + queue.coalesced).toBe(pushed.length);
          } else {
            expect(overflows).toHaveLength(1);
            expect(overflows[0]?.resumeCursor).toBe(sink.received.at(-1)?.cursor ?? '1.0');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
