import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatCursor, parseCursor, type EventEnvelope } from '@packer/core/contract';
import { EventLog, type EventLogOptions } from './event-log.js';
import { subscribeToLog } from './log-subscription.js';
import { ManualSink } from '../testing/manual-sink.js';
import type { QueueOverflow } from './subscriber-queue.js';

let dir: string;
let log: EventLog;
const reopen = (options?: EventLogOptions): void => {
  log.close();
  log = EventLog.open(dir, options);
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'packer-log-subscription-'));
  log = EventLog.open(dir);
});
afterEach(() => {
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

const appendStates = (count: number): void => {
  for (let i = 0; i < count; i += 1)
    log.append({ type: 'snapshot.changed', payload: { revision: i, previousRevision: i - 1, cause: 'test' } });
};
const seqs = (events: EventEnvelope[]): number[] => events.map((event) => parseCursor(event.cursor).seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const failOnOverflow = (overflow: QueueOverflow): never => {
  throw new Error(`unexpected overflow: ${overflow.reason}`);
};

describe('subscribeToLog', () => {
  it('replays after `since` in pages, then follows live, with no gap and no duplicate', () => {
    appendStates(1000);
    const sink = new ManualSink(30);
    const subscription = subscribeToLog(log, formatCursor(1, 100), sink, { pageSize: 50, onOverflow: failOnOverflow });
    if ('expired' in subscription) throw new Error('unexpected expiry');
    expect(subscription.replayed).toBe(900);
    let maxQueued = subscription.queue.queued;
    // Events appended mid-replay are read from the log when the replay reaches them, not pushed twice.
    appendStates(10);
    for (let round = 0; round < 1000 && sink.received.length < 1010 - 100; round += 1) {
      sink.drain(30);
      maxQueued = Math.max(maxQueued, subscription.queue.queued);
    }
    expect(maxQueued).toBeLessThanOrEqual(50);
    appendStates(5);
    sink.drain();
    expect(seqs(sink.received)).toEqual(range(101, 1015));
    subscription.close();
    appendStates(1);
    expect(sink.received).toHaveLength(915);
  });

  it('lets a subscriber that overflowed resume from its resume cursor and lose nothing', () => {
    const first = new ManualSink(5);
    const overflows: QueueOverflow[] = [];
    const subscription = subscribeToLog(log, log.lastCursor, first, {
      hardLimit: 20,
      onOverflow: (overflow) => overflows.push(overflow),
    });
    if ('expired' in subscription) throw new Error('unexpected expiry');
    appendStates(100);
    expect(overflows.map((overflow) => overflow.code)).toEqual(['SUBSCRIBER_OVERFLOW']);
    const resumeCursor = overflows[0]?.resumeCursor ?? '';
    expect(resumeCursor).toBe(first.received.at(-1)?.cursor);

    // A backlog far past the hard limit replays fine, because it is read a page at a time.
    const second = new ManualSink(3);
    const resumed = subscribeToLog(log, resumeCursor, second, {
      hardLimit: 20,
      pageSize: 10,
      onOverflow: failOnOverflow,
    });
    if ('expired' in resumed) throw new Error('unexpected expiry');
    for (let round = 0; round < 1000 && second.received.length < 95; round += 1) second.drain(3);
    appendStates(2);
    second.drain();
    expect(seqs([...first.received, ...second.received])).toEqual(range(1, 102));
  });

  it('reports a cursor older than the log as expired', () => {
    reopen({ segmentBytes: 500, maxSegments: 2 });
    appendStates(50);
    const result = subscribeToLog(log, '1.0', new ManualSink(), { onOverflow: failOnOverflow });
    expect(result).toEqual({ expired: true, oldestSeq: log.oldestSeq });
  });

  it('aborts a replay that rotation overtakes, with the cursor to resume from', () => {
    reopen({ segmentBytes: 500, maxSegments: 2, tailSize: 2 });
    appendStates(6);
    const sink = new ManualSink(2);
    const overflows: QueueOverflow[] = [];
    const subscription = subscribeToLog(log, '1.0', sink, {
      pageSize: 2,
      onOverflow: (overflow) => overflows.push(overflow),
    });
    if ('expired' in subscription) throw new Error('unexpected expiry');
    appendStates(50);
    sink.drain();
    expect(overflows).toEqual([
      expect.objectContaining({ code: 'CURSOR_EXPIRED', resumeCursor: sink.received.at(-1)?.cursor }),
    ]);
    expect(subscription.queue.closed).toBe(true);
  });
});
