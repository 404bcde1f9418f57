import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventEnvelope, parseCursor, type EventType } from '@packer/core/contract';
import { EventLog, type EventLogInput } from './event-log.js';
import { segmentFileName } from './segment-files.js';

let dir: string;
const logs: EventLog[] = [];

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'packer-event-log-')), 'events');
});
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

function open(options?: Parameters<typeof EventLog.open>[1]): EventLog {
  const log = EventLog.open(dir, options);
  logs.push(log);
  return log;
}

function stateEvent(revision: number): EventLogInput {
  return { type: 'snapshot.changed', payload: { revision, previousRevision: revision - 1, cause: 'test' } };
}

function opEvent(operationId: string, sequence: number, type: EventType, payload: unknown = {}): EventLogInput {
  return { type, operationId, sequence, payload };
}

const seqOf = (event: EventEnvelope): number => parseCursor(event.cursor).seq;
const seqs = (events: EventEnvelope[]): number[] => events.map(seqOf);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const segmentFiles = (): string[] =>
  readdirSync(dir)
    .filter((name) => name.startsWith('segment-'))
    .sort();

describe('EventLog cursors', () => {
  it('assigns monotonic, gap-free cursors that continue across close and reopen in a new generation', () => {
    const first = open();
    expect(first.generation).toBe(1);
    const before = Array.from({ length: 300 }, (_, i) => first.append(stateEvent(i + 1)));
    expect(before.map((event) => event.cursor)).toEqual(range(1, 300).map((seq) => `1.${seq}`));
    first.close();

    const second = open();
    expect(second.generation).toBe(2);
    expect(readFileSync(join(dir, 'generation'), 'utf8').trim()).toBe('2');
    expect(second.lastSeq).toBe(300);
    const after = Array.from({ length: 50 }, (_, i) => second.append(stateEvent(i + 301)));
    expect(after[0]?.cursor).toBe('2.301');
    expect(second.lastCursor).toBe('2.350');

    const all = second.readSince(0);
    expect('events' in all && seqs(all.events)).toEqual(range(1, 350));
    // Every record on disk is a valid envelope.
    if ('events' in all) for (const event of all.events) expect(EventEnvelope.safeParse(event).success).toBe(true);
  });

  it('names replay points across a restart with the generation that numbered them, and the log honours them', () => {
    const first = open();
    for (let i = 1; i <= 30; i++) first.append(stateEvent(i));
    first.close();
    const second = open();
    for (let i = 31; i <= 35; i++) second.append(stateEvent(i));
    // The last 10 span both daemons: they start after 1.25 (written by generation 1), not after 2.25.
    expect(second.replayCursorFrom(26)).toBe('1.25');
    expect(second.cursorStatus(1, 25)).toBe('ok');
    expect(second.cursorStatus(2, 25)).toBe('reused');
    const page = second.readSince(parseCursor(second.replayCursorFrom(26)).seq);
    expect('events' in page && seqs(page.events)).toEqual(range(26, 35));
    // Only this daemon's events: its own generation. All of them, or more than the log holds: from the oldest.
    expect(second.replayCursorFrom(32)).toBe('2.31');
    expect(second.replayCursorFrom(-5)).toBe('1.0');
    expect(second.cursorStatus(1, 0)).toBe('ok');
    // Nothing to replay: the newest cursor. The oldest held event is named by its own cursor.
    expect(second.replayCursorFrom(36)).toBe(second.lastCursor);
    expect(second.oldestCursor).toBe('1.1');
  });

  it('persists each event before its listeners hear of it', () => {
    const log = open();
    const seenOnDisk: boolean[] = [];
    log.onAppend((event) => {
      const onDisk = segmentFiles().some((name) =>
        readFileSync(join(dir, name), 'utf8').includes(`"cursor":"${event.cursor}"`),
      );
      seenOnDisk.push(onDisk);
    });
    for (let i = 1; i <= 5; i += 1) log.append(stateEvent(i));
    expect(seenOnDisk).toEqual([true, true, true, true, true]);
  });

  it('keeps appending and notifying the other listeners when one listener throws', () => {
    const errors: unknown[] = [];
    const log = open({ onError: (error) => errors.push(error) });
    const received: string[] = [];
    log.onAppend(() => {
      throw new Error('listener bug');
    });
    const unsubscribe = log.onAppend((event) => received.push(event.cursor));
    log.append(stateEvent(1));
    unsubscribe();
    log.append(stateEvent(2));
    expect(received).toEqual(['1.1']);
    expect(errors).toHaveLength(2);
    expect(log.lastSeq).toBe(2);
  });

  it('keeps generations increasing when the generation file is lost', () => {
    open().close();
    open().close();
    const third = open();
    third.append(stateEvent(1));
    third.close();
    unlinkSync(join(dir, 'generation'));
    expect(open().generation).toBe(4);
  });
});

describe('EventLog crash recovery', () => {
  it('drops a torn last line and continues the sequence without a gap', () => {
    const log = open();
    for (let i = 1; i <= 10; i += 1) log.append(stateEvent(i));
    log.close();
    const [segment] = segmentFiles();
    const path = join(dir, segment ?? '');
    // Cut the file in the middle of its last record, as a crash mid-write would.
    truncateSync(path, statSync(path).size - 7);

    const reopened = open();
    expect(reopened.lastSeq).toBe(9);
    expect(reopened.recovery.truncatedBytes).toBeGreaterThan(0);
    expect(reopened.append(stateEvent(10)).cursor).toBe('2.10');
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => seqOf(JSON.parse(line) as EventEnvelope))).toEqual(range(1, 10));
  });

  it('drops a partial record appended without its newline', () => {
    const log = open();
    for (let i = 1; i <= 3; i += 1) log.append(stateEvent(i));
    log.close();
    appendFileSync(join(dir, segmentFiles()[0] ?? ''), '{"cursor":"1.4","type":"snapsh');
    const reopened = open();
    expect(reopened.lastSeq).toBe(3);
    reopened.append(stateEvent(4));
    const all = reopened.readSince(0);
    expect('events' in all && seqs(all.events)).toEqual([1, 2, 3, 4]);
  });

  it('continues after an empty newest segment left by a crash right after rotation', () => {
    const log = open();
    for (let i = 1; i <= 4; i += 1) log.append(stateEvent(i));
    log.close();
    writeFileSync(join(dir, segmentFileName(5)), '');
    const reopened = open();
    expect(reopened.lastSeq).toBe(4);
    expect(reopened.append(stateEvent(5)).cursor).toBe('2.5');
    const all = reopened.readSince(2);
    expect('events' in all && seqs(all.events)).toEqual([3, 4, 5]);
  });
});

describe('EventLog rotation and replay', () => {
  for (const tailSize of [4, 1000]) {
    it(`deletes old segments and reports rotated-away cursors as expired (tail of ${tailSize})`, () => {
      const log = open({ segmentBytes: 1000, maxSegments: 3, tailSize });
      for (let i = 1; i <= 120; i += 1) log.append(stateEvent(i));
      const files = segmentFiles();
      expect(files).toHaveLength(3);
      for (const name of files) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(1000);

      const oldest = log.oldestSeq;
      expect(oldest).toBeGreaterThan(1);
      expect(files[0]).toBe(segmentFileName(oldest));
      // The answer depends on what is on disk, not on how much the tail happens to hold.
      expect(log.readSince(0)).toEqual({ expired: true, oldestSeq: oldest });
      expect(log.readSince(oldest - 2)).toEqual({ expired: true, oldestSeq: oldest });
      const held = log.readSince(oldest - 1);
      expect('events' in held && seqs(held.events)).toEqual(range(oldest, 120));
      const later = log.readSince(oldest + 5);
      expect('events' in later && seqs(later.events)).toEqual(range(oldest + 6, 120));
      expect(log.readSince(120)).toEqual({ events: [] });
      // A cursor from beyond the end belongs to some other (wiped) log.
      expect(log.readSince(500)).toEqual({ expired: true, oldestSeq: oldest });
    });
  }

  it('replays from the segment files after reopen, past what the tail holds, in pages', () => {
    const log = open({ segmentBytes: 8000, tailSize: 10 });
    for (let i = 1; i <= 200; i += 1) log.append(stateEvent(i));
    log.close();
    expect(segmentFiles().length).toBeGreaterThan(1);

    const reopened = open({ segmentBytes: 8000, tailSize: 10 });
    const replay = reopened.readSince(50);
    expect('events' in replay && seqs(replay.events)).toEqual(range(51, 200));
    if ('events' in replay)
      expect(replay.events[0]?.payload).toEqual({ revision: 51, previousRevision: 50, cause: 'test' });

    const paged: number[] = [];
    for (let after = 0; after < reopened.lastSeq;) {
      const page = reopened.readSince(after, { limit: 37 });
      if (!('events' in page)) throw new Error('unexpected expiry');
      expect(page.events.length).toBeLessThanOrEqual(37);
      paged.push(...seqs(page.events));
      after = paged.at(-1) ?? after;
    }
    expect(paged).toEqual(range(1, 200));
  });

  it('rejects a malformed seq with a message naming it', () => {
    expect(() => open().readSince(-1)).toThrow(/`seq` to be a non-negative integer, got -1/);
  });
});

describe('EventLog.findUnterminated', () => {
  it('finds operations that started without a terminal event, across a restart', () => {
    const log = open();
    log.append(opEvent('op-a', 1, 'queued'));
    log.append(opEvent('op-a', 2, 'started'));
    log.append(opEvent('op-a', 3, 'completed'));
    log.append(opEvent('op-b', 1, 'queued'));
    log.append(opEvent('op-b', 2, 'started'));
    log.append(opEvent('op-b', 3, 'progress', { done: 1 }));
    log.append(opEvent('op-c', 1, 'queued'));
    log.append(stateEvent(1));
    expect(log.findUnterminated()).toEqual(['op-b', 'op-c']);
    log.close();

    const reopened = open();
    expect(reopened.findUnterminated()).toEqual(['op-b', 'op-c']);
    reopened.append(
      opEvent('op-b', 4, 'failed', { kind: 'build', error: { code: 'DAEMON_CRASHED', message: 'daemon restarted' } }),
    );
    expect(reopened.findUnterminated()).toEqual(['op-c']);
  });
});
