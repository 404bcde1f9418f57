import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Diagnostic } from './diagnostics.js';
import type { EventEnvelope, EventPayload } from './events.js';
import {
  asTypedEvent,
  foldOperation,
  foldOperations,
  initialOperation,
  isOperationFinished,
  operationFromInfo,
  operationInfoOf,
  type OperationState,
} from './operation-fold.js';

let cursor = 0;
function event(
  operationId: string | undefined,
  type: EventEnvelope['type'],
  sequence: number | undefined,
  payload: unknown,
): EventEnvelope {
  cursor += 1;
  return {
    cursor: `1.${cursor}`,
    time: new Date(1_700_000_000_000 + cursor * 250).toISOString(),
    type,
    ...(operationId !== undefined ? { operationId } : {}),
    ...(sequence !== undefined ? { sequence } : {}),
    payload,
  };
}

/** One operation's events as the lane makes them: queued, started, `progress` progress events, then `end`. */
function lifecycle(id: string, progress: number, end?: 'completed' | 'failed' | 'cancelled'): EventEnvelope[] {
  const events = [
    event(id, 'queued', 1, { kind: 'build', laneDepth: 1, summary: `build ${id}` }),
    event(id, 'started', 2, { kind: 'build', baseRevision: 3 }),
  ];
  for (let done = 1; done <= progress; done += 1)
    events.push(event(id, 'progress', 2 + done, { done, total: progress, current: `item-${done}` }));
  const last = 3 + progress;
  if (end === 'completed')
    events.push(event(id, 'completed', last, { kind: 'build', revisionAfter: 4, result: { packs: 2 } }));
  if (end === 'failed')
    events.push(
      event(id, 'failed', last, {
        kind: 'build',
        error: { code: 'BLOCKED', message: '1 asset failed', data: { blockers: 1 } },
      }),
    );
  if (end === 'cancelled') events.push(event(id, 'cancelled', last, { kind: 'build', reason: 'cancelled by request' }));
  return events;
}

const fold = (
  events: readonly EventEnvelope[],
  from: OperationState = initialOperation(events[0]!.operationId!),
): OperationState => events.reduce(foldOperation, from);
const foldMany = (events: readonly EventEnvelope[], limit?: number): ReadonlyMap<string, OperationState> =>
  events.reduce<ReadonlyMap<string, OperationState>>((map, item) => foldOperations(map, item, limit), new Map());

const warning = (code: Diagnostic['code']): Diagnostic => ({ code, severity: 'warning', message: `${code} happened` });

describe('foldOperation', () => {
  it('follows an operation in order: queued, started, progress, then its terminal outcome', () => {
    const events = lifecycle('op_1', 3, 'completed');
    const states = events.map((_, index) => fold(events.slice(0, index + 1)));
    expect(states.map((state) => state.status)).toEqual([
      'queued',
      'running',
      'running',
      'running',
      'running',
      'completed',
    ]);
    const done = states.at(-1)!;
    expect(done).toMatchObject({
      operationId: 'op_1',
      kind: 'build',
      summary: 'build op_1',
      baseRevision: 3,
      progressEvents: 3,
      lastSequence: 6,
    });
    expect(done.progress).toEqual({ done: 3, total: 3, current: 'item-3' });
    expect(done.outcome).toEqual({ type: 'completed', kind: 'build', revisionAfter: 4, result: { packs: 2 } });
    expect(done).toMatchObject({
      queuedAt: events[0]!.time,
      startedAt: events[1]!.time,
      endedAt: events.at(-1)!.time,
      lastCursor: events.at(-1)!.cursor,
    });
    expect(isOperationFinished(done)).toBe(true);
  });

  it('drops stale and repeated sequences: a replayed event never rewinds the state', () => {
    const events = lifecycle('op_1', 5);
    const state = fold(events);
    expect(state.progress?.done).toBe(5);
    for (const old of events) expect(foldOperation(state, old)).toBe(state);
    // An older progress event delivered late (after a newer one) is dropped as well.
    const outOfOrder = fold([events[0]!, events[1]!, events[4]!, events[3]!]);
    expect(outOfOrder.progress?.done).toBe(3);
    expect(outOfOrder.progressEvents).toBe(1);
  });

  it('shows no outcome without a terminal event, however far progress got', () => {
    const state = fold(lifecycle('op_1', 10));
    expect(state.progress).toMatchObject({ done: 10, total: 10 });
    expect(state.status).toBe('running');
    expect(state.outcome).toBeUndefined();
    expect(state.endedAt).toBeUndefined();
    expect(isOperationFinished(state)).toBe(false);
  });

  it('takes coalesced progress at its word: the latest payload wins, warnings are the latest full list', () => {
    const [queued, started] = lifecycle('op_1', 0);
    const first = event('op_1', 'progress', 3, {
      done: 10,
      total: 100,
      current: 'item-10',
      counts: { processed: 9, failed: 1 },
      warnings: [warning('CASE_COLLISION')],
    });
    // Events 4 to 8 were coalesced away for a slow subscriber; 9 carries everything raised so far.
    const jump = event('op_1', 'progress', 9, {
      done: 90,
      total: 100,
      counts: { processed: 88, failed: 2 },
      warnings: [warning('CASE_COLLISION'), warning('EMPTY_PACK')],
    });
    const quiet = event('op_1', 'progress', 10, { done: 95, total: 100, counts: { processed: 93, failed: 2 } });
    const afterJump = fold([queued!, started!, first, jump]);
    expect(afterJump.progress).toEqual({
      done: 90,
      total: 100,
      counts: { processed: 88, failed: 2 },
      warnings: [warning('CASE_COLLISION'), warning('EMPTY_PACK')],
    });
    expect(afterJump.progress?.current).toBeUndefined();
    expect(afterJump.progressEvents).toBe(2);
    expect(afterJump.warnings.map((item) => item.code)).toEqual(['CASE_COLLISION', 'EMPTY_PACK']);
    // A progress event without `warnings` raised none since: the list so far stays.
    const afterQuiet = foldOperation(afterJump, quiet);
    expect(afterQuiet.progress?.done).toBe(95);
    expect(afterQuiet.warnings.map((item) => item.code)).toEqual(['CASE_COLLISION', 'EMPTY_PACK']);
  });

  it("ends failed and cancelled operations with the packer's error and reason", () => {
    expect(fold(lifecycle('op_1', 2, 'failed')).outcome).toEqual({
      type: 'failed',
      kind: 'build',
      error: { code: 'BLOCKED', message: '1 asset failed', data: { blockers: 1 } },
    });
    expect(fold(lifecycle('op_1', 2, 'failed')).status).toBe('failed');
    expect(fold(lifecycle('op_1', 0, 'cancelled'))).toMatchObject({
      status: 'cancelled',
      outcome: { type: 'cancelled', reason: 'cancelled by request' },
    });
  });

  it('treats the terminal event as final, and ignores other operations and state events', () => {
    const done = fold(lifecycle('op_1', 1, 'completed'));
    expect(foldOperation(done, event('op_1', 'progress', 99, { done: 7 }))).toBe(done);
    expect(
      foldOperation(
        done,
        event('op_1', 'failed', 100, { kind: 'build', error: { code: 'INTERNAL', message: 'late' } }),
      ),
    ).toBe(done);
    const running = fold(lifecycle('op_1', 1));
    expect(foldOperation(running, event('op_2', 'progress', 9, { done: 7 }))).toBe(running);
    expect(
      foldOperation(
        running,
        event(undefined, 'snapshot.changed', undefined, { revision: 2, previousRevision: 1, cause: 'x' }),
      ),
    ).toBe(running);
  });

  it('follows an operation it joined late, from progress on', () => {
    const events = lifecycle('op_1', 6, 'completed');
    const joined = fold(events.slice(4, 6));
    expect(joined).toMatchObject({ status: 'running', progress: { done: 4 } });
    expect(joined.kind).toBeUndefined();
    expect(operationInfoOf(joined)).toBeUndefined();
    expect(fold(events.slice(4)).status).toBe('completed');
  });

  it('property: whatever is delivered again (a replay overlapping live delivery), the state is that of one delivery', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom<'completed' | 'failed' | 'cancelled' | undefined>(
          'completed',
          'failed',
          'cancelled',
          undefined,
        ),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }),
        (progress, end, replays) => {
          const events = lifecycle('op_p', progress, end);
          // After event i, redeliver everything from event j <= i (a client resubscribing from an older cursor).
          const delivered = events.flatMap((item, index) => {
            const replayed = replays
              .filter(([at]) => at % events.length === index)
              .flatMap(([, from]) => events.slice(from % (index + 1), index + 1));
            return [item, ...replayed];
          });
          expect(fold(delivered)).toEqual(fold(events));
          expect(fold(delivered).outcome?.type).toBe(end);
        },
      ),
    );
  });
});

describe('foldOperations', () => {
  it('keeps one row per operation in order of first appearance, and a replay after reconnect adds none', () => {
    const a = lifecycle('op_a', 2, 'completed');
    const b = lifecycle('op_b', 3);
    const live = [a[0]!, a[1]!, b[0]!, ...a.slice(2), ...b.slice(1)];
    const before = foldMany(live);
    expect([...before.keys()]).toEqual(['op_a', 'op_b']);
    // The client reconnects and resubscribes from an older cursor: everything from the fourth event comes again.
    const after = live
      .slice(3)
      .reduce<ReadonlyMap<string, OperationState>>((map, item) => foldOperations(map, item), before);
    expect(after).toBe(before);
    expect(after.size).toBe(2);
    expect(after.get('op_b')).toMatchObject({ status: 'running', progress: { done: 3 }, progressEvents: 3 });
  });

  it('ignores state events', () => {
    const map = foldMany(lifecycle('op_a', 1));
    expect(foldOperations(map, event(undefined, 'daemon.stopping', undefined, { reason: 'x' }))).toBe(map);
  });

  it('bounds its history: the oldest finished operations go past the limit, never a queued or running one', () => {
    const events = [
      ...lifecycle('op_run', 1),
      ...lifecycle('op_a', 0, 'completed'),
      ...lifecycle('op_b', 0, 'completed'),
      ...lifecycle('op_wait', 0).slice(0, 1),
      ...lifecycle('op_c', 0, 'failed'),
    ];
    expect([...foldMany(events, 2).keys()]).toEqual(['op_run', 'op_b', 'op_wait', 'op_c']);
    expect([...foldMany(events, 0).keys()]).toEqual(['op_run', 'op_wait']);
  });
});

describe('operation rows', () => {
  it('reports a folded operation as an operations.list row, with the error of a failed one', () => {
    expect(operationInfoOf(fold(lifecycle('op_1', 2, 'failed')))).toMatchObject({
      operationId: 'op_1',
      kind: 'build',
      state: 'failed',
      summary: 'build op_1',
      progress: { done: 2, total: 2, current: 'item-2' },
      error: { code: 'BLOCKED', message: '1 asset failed' },
    });
  });

  it('seeds a listed running operation, then follows its events from the next sequence', () => {
    const seeded = operationFromInfo({
      operationId: 'op_1',
      kind: 'build',
      state: 'running',
      summary: 'build',
      queuedAt: '2026-01-01T00:00:00.000Z',
      progress: { done: 1, total: 4 },
    });
    expect(seeded).toMatchObject({ status: 'running', progress: { done: 1, total: 4 } });
    expect(seeded.outcome).toBeUndefined();
    expect(
      fold([event('op_1', 'completed', 8, { kind: 'build', revisionAfter: 2, result: null })], seeded).status,
    ).toBe('completed');
  });

  it('types each payload by its event type', () => {
    const typed = asTypedEvent(lifecycle('op_1', 0)[0]!);
    if (typed.type === 'queued') expectTypeOf(typed.payload).toEqualTypeOf<EventPayload<'queued'>>();
    if (typed.type === 'failed') expectTypeOf(typed.payload.error.code).toBeString();
    expectTypeOf<NonNullable<OperationState['outcome']>>().toExtend<{
      type: 'completed' | 'failed' | 'cancelled';
      kind: string;
    }>();
  });
});
