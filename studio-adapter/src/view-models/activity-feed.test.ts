import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCursor } from '@packer/core/contract/runtime';
import type { EventEnvelope, OperationInfo } from '@packer/core/contract';
import { EMPTY_ACTIVITY, reduceActivity, seedActivity, type ActivityFeed } from './activity-feed.js';

let seq = 0;
const event = (
  operationId: string | undefined,
  type: EventEnvelope['type'],
  sequence: number | undefined,
  payload: unknown,
): EventEnvelope => ({
  cursor: formatCursor(1, ++seq),
  time: new Date(1_700_000_000_000 + seq).toISOString(),
  type,
  ...(operationId ? { operationId } : {}),
  ...(sequence !== undefined ? { sequence } : {}),
  payload,
});

const lifecycle = (
  id: string,
  progress: number,
  end: 'completed' | 'failed' | 'cancelled' | undefined,
): EventEnvelope[] => {
  const events = [
    event(id, 'queued', 1, { kind: 'build', laneDepth: 1, summary: 'build all packs' }),
    event(id, 'started', 2, { kind: 'build', baseRevision: 3 }),
  ];
  for (let done = 1; done <= progress; done++) events.push(event(id, 'progress', 2 + done, { done, total: progress }));
  const last = 3 + progress;
  if (end === 'completed')
    events.push(event(id, 'completed', last, { kind: 'build', revisionAfter: 4, result: { packs: 2 } }));
  if (end === 'failed')
    events.push(event(id, 'failed', last, { kind: 'build', error: { code: 'BLOCKED', message: 'blocked' } }));
  if (end === 'cancelled') events.push(event(id, 'cancelled', last, { kind: 'build', reason: 'asked' }));
  return events;
};

const fold = (events: EventEnvelope[], feed: ActivityFeed = EMPTY_ACTIVITY, limit?: number) =>
  events.reduce((current, item) => reduceActivity(current, item, limit), feed);

describe('activity feed', () => {
  it('one row per operation, progressing from queued through running to the terminal outcome', () => {
    const events = lifecycle('op_1', 3, 'completed');
    const statuses = events.map((_, index) => fold(events.slice(0, index + 1)).rows[0]!.status);
    expect(statuses).toEqual(['queued', 'running', 'running', 'running', 'running', 'completed']);
    const row = fold(events).rows[0]!;
    expect(row).toMatchObject({
      operationId: 'op_1',
      kind: 'build',
      summary: 'build all packs',
      progress: { done: 3, total: 3, fraction: 1 },
    });
    expect(row.outcome).toEqual({ type: 'completed', revisionAfter: 4, result: { packs: 2 } });
    expect(row.endedAt).toBe(events.at(-1)!.time);
  });

  it('without a terminal event an operation is running, never succeeded, even at 100 %', () => {
    const row = fold(lifecycle('op_1', 5, undefined)).rows[0]!;
    expect(row.status).toBe('running');
    expect(row.progress?.fraction).toBe(1);
    expect(row.outcome).toBeUndefined();
  });

  it('takes failed and cancelled outcomes from their events', () => {
    expect(fold(lifecycle('op_1', 0, 'failed')).rows[0]!.outcome).toEqual({
      type: 'failed',
      error: { code: 'BLOCKED', message: 'blocked' },
    });
    expect(fold(lifecycle('op_1', 0, 'cancelled')).rows[0]!.outcome).toEqual({ type: 'cancelled', reason: 'asked' });
  });

  it('ignores state events, repeated or older sequences, and anything after the terminal event', () => {
    const events = lifecycle('op_1', 2, 'completed');
    const feed = fold(events);
    expect(
      reduceActivity(
        feed,
        event(undefined, 'snapshot.changed', undefined, { revision: 2, previousRevision: 1, cause: 'x' }),
      ),
    ).toBe(feed);
    expect(reduceActivity(feed, event('op_1', 'progress', 9, { done: 99 }))).toBe(feed);
    const running = fold(events.slice(0, 4));
    expect(reduceActivity(running, events[2]!)).toBe(running);
  });

  it('drops the oldest finished rows past the limit, never a running one', () => {
    const events = [
      ...lifecycle('op_run', 1, undefined),
      ...lifecycle('op_a', 0, 'completed'),
      ...lifecycle('op_b', 0, 'completed'),
      ...lifecycle('op_c', 0, 'failed'),
    ];
    expect(fold(events, EMPTY_ACTIVITY, 2).rows.map((row) => row.operationId)).toEqual(['op_run', 'op_b', 'op_c']);
  });

  it('seeds queued and running operations the packer lists, and leaves finished ones to their events', () => {
    const info = (operationId: string, state: OperationInfo['state']): OperationInfo => ({
      operationId,
      kind: 'build',
      state,
      summary: operationId,
      queuedAt: '2025-01-01T00:00:00.000Z',
      progress: { done: 1, total: 4 },
    });
    const feed = seedActivity(fold(lifecycle('op_known', 0, undefined)), [
      info('op_known', 'running'),
      info('op_run', 'running'),
      info('op_wait', 'queued'),
      info('op_done', 'completed'),
    ]);
    expect(feed.rows.map((row) => [row.operationId, row.status])).toEqual([
      ['op_known', 'running'],
      ['op_run', 'running'],
      ['op_wait', 'queued'],
    ]);
    expect(feed.rows[1]!.progress).toEqual({ done: 1, total: 4, fraction: 0.25 });
    expect(feed.rows[1]!.outcome).toBeUndefined();
    const completed = fold(
      [
        event('op_run', 'progress', 5, { done: 4, total: 4 }),
        event('op_run', 'completed', 6, { kind: 'build', revisionAfter: 1, result: null }),
      ],
      feed,
    );
    expect(completed.rows[1]!.status).toBe('completed');
  });

  it('property: the outcome exists exactly when a terminal event was folded in, whatever is delivered twice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom<'completed' | 'failed' | 'cancelled' | undefined>(
          'completed',
          'failed',
          'cancelled',
          undefined,
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        (progress, end, repeats) => {
          const events = lifecycle('op_p', progress, end);
          // Redeliver some events right after themselves (a replay overlapping live delivery).
          const delivered = events.flatMap((item, index) => (repeats.includes(index) ? [item, item] : [item]));
          const row = fold(delivered).rows[0]!;
          expect(fold(delivered).rows).toHaveLength(1);
          expect(row.status).toBe(end ?? 'running');
          expect(row.outcome?.type).toBe(end);
          if (progress > 0) expect(row.progress?.done).toBe(progress);
        },
      ),
    );
  });
});
