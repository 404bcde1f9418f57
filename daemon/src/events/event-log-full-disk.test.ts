import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCursor, type EventEnvelope } from '@packer/core/contract';

// A disk that fills up on demand: while `disk.full`, a write through a descriptor puts down half its bytes (as a
// real full disk does) and fails with ENOSPC; `disk.noNewFiles` also refuses to create files.
const disk = vi.hoisted(() => ({ full: false, noNewFiles: false }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const enospc = (syscall: string) =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
  return {
    ...actual,
    appendFileSync: (target: number | string, data: string) => {
      if (disk.full) {
        if (typeof target === 'number') actual.writeSync(target, data.slice(0, Math.floor(data.length / 2)));
        throw enospc('write');
      }
      actual.appendFileSync(target, data);
    },
    openSync: (file: string, flags: string, mode?: number) => {
      if (disk.noNewFiles && !actual.existsSync(file)) throw Object.assign(enospc('open'), { path: file });
      return actual.openSync(file, flags, mode);
    },
  };
});

const { EventLog } = await import('./event-log.js');

const temps: string[] = [];
afterEach(() => {
  disk.full = false;
  disk.noNewFiles = false;
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packer-events-full-'));
  temps.push(dir);
  return dir;
}

function seqs(events: EventEnvelope[]): number[] {
  return events.map((event) => parseCursor(event.cursor).seq);
}

/** Every line of every segment must be a whole record: a torn one would corrupt the next append. */
function diskLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith('segment-'))
    .sort()
    .flatMap((name) => readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean));
}

describe('EventLog on a full disk', () => {
  it('keeps numbering, publishing and replaying events the disk refuses, and writes them in order once it takes writes again', () => {
    const dir = logDir();
    const errors: unknown[] = [];
    const log = EventLog.open(dir, { onError: (error) => errors.push(error) });
    const heard: EventEnvelope[] = [];
    log.onAppend((event) => heard.push(event));
    log.append({ type: 'snapshot.changed', payload: { n: 1 } });

    disk.full = true;
    const operationId = 'op_full';
    expect(() => {
      log.append({ type: 'started', operationId, sequence: 1, payload: { kind: 'register', baseRevision: 1 } });
      log.append({
        type: 'failed',
        operationId,
        sequence: 2,
        payload: { kind: 'register', error: { code: 'IO_ERROR', message: 'disk full' } },
      });
    }).not.toThrow();

    // Live subscribers got the terminal event; a replay serves it too; health can say what is held back.
    expect(heard.map((event) => event.type)).toEqual(['snapshot.changed', 'started', 'failed']);
    expect(seqs(heard)).toEqual([1, 2, 3]);
    const replay = log.readSince(0);
    expect('events' in replay && seqs(replay.events)).toEqual([1, 2, 3]);
    expect(log.writeProblem).toMatchObject({ store: 'event-log', errno: 'ENOSPC', pending: 2 });
    expect(log.writeProblem!.path).toMatch(/segment-\d+\.ndjson$/);
    expect(log.findUnterminated()).toEqual([]);
    expect(diskLines(dir)).toHaveLength(1);
    expect(diskLines(dir).every((line) => JSON.parse(line))).toBe(true);
    expect(errors).toHaveLength(1);

    disk.full = false;
    expect(log.flushPending()).toBe(true);
    expect(log.writeProblem).toBeUndefined();
    log.append({ type: 'snapshot.changed', payload: { n: 2 } });
    log.close();

    const reopened = EventLog.open(dir);
    const all = reopened.readSince(0);
    expect('events' in all && seqs(all.events)).toEqual([1, 2, 3, 4]);
    expect('events' in all && all.events.map((event) => event.type)).toEqual([
      'snapshot.changed',
      'started',
      'failed',
      'snapshot.changed',
    ]);
    expect(reopened.recovery).toEqual({ truncatedBytes: 0, corruptLines: 0 });
    reopened.close();
  });

  it('serves held events to a replay the in-memory tail no longer reaches', () => {
    const dir = logDir();
    const log = EventLog.open(dir, { tailSize: 4, onError: () => undefined });
    disk.full = true;
    for (let n = 1; n <= 10; n++) log.append({ type: 'snapshot.changed', payload: { n } });
    const replay = log.readSince(0, { limit: 100 });
    expect('events' in replay && seqs(replay.events)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    log.close();
  });

  it('closes without throwing while the disk is still full, and reports what it lost', () => {
    const dir = logDir();
    const errors: string[] = [];
    const log = EventLog.open(dir, { onError: (error) => errors.push(String(error)) });
    log.append({ type: 'daemon.started', payload: { pid: 1, generation: 1, version: 'x' } });
    disk.full = true;
    log.append({ type: 'daemon.stopping', payload: { reason: 'SIGTERM' } });
    expect(() => log.close()).not.toThrow();
    expect(errors.at(-1)).toContain('closed with 1 events not written');
    expect(() => log.append({ type: 'daemon.stopping', payload: { reason: 'again' } })).toThrow(/closed/);

    disk.full = false;
    const reopened = EventLog.open(dir);
    expect(reopened.lastSeq).toBe(1);
    expect(reopened.recovery.truncatedBytes).toBe(0);
    reopened.close();
  });

  it('gives up the oldest held events past pendingBytes and counts them', () => {
    const dir = logDir();
    const log = EventLog.open(dir, { pendingBytes: 2000, onError: () => undefined });
    disk.full = true;
    for (let n = 1; n <= 50; n++) log.append({ type: 'snapshot.changed', payload: { n, pad: 'x'.repeat(100) } });
    const problem = log.writeProblem!;
    expect(problem.pending! * 150).toBeLessThanOrEqual(2000 + 200);
    expect(problem.dropped! + problem.pending!).toBe(50);

    disk.full = false;
    log.close();
    const reopened = EventLog.open(dir);
    const all = reopened.readSince(0);
    // The gap is visible as a jump in seqs, and the log goes on from the last seq handed out.
    expect('events' in all && seqs(all.events).at(-1)).toBe(50);
    expect(reopened.lastSeq).toBe(50);
    reopened.close();
  });

  it('goes on in the current segment when a new one cannot be created', () => {
    const dir = logDir();
    const log = EventLog.open(dir, { segmentBytes: 300, onError: () => undefined });
    log.append({ type: 'snapshot.changed', payload: { pad: 'x'.repeat(200) } });
    disk.noNewFiles = true;
    disk.full = true;
    log.append({ type: 'snapshot.changed', payload: { pad: 'y'.repeat(200) } });
    expect(log.writeProblem).toMatchObject({ errno: 'ENOSPC', pending: 1 });
    disk.full = false;
    disk.noNewFiles = false;
    log.append({ type: 'snapshot.changed', payload: { n: 3 } });
    expect(log.writeProblem).toBeUndefined();
    log.close();
    const reopened = EventLog.open(dir);
    const all = reopened.readSince(0);
    expect('events' in all && seqs(all.events)).toEqual([1, 2, 3]);
    reopened.close();
  });
});
