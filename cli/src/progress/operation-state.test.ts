import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@packer/core/contract';
import { initialOperationState, isTerminal, reduceOperationEvent, type OperationViewState } from './operation-state.js';
import buildFailed from './recorded-events/build-failed.json' with { type: 'json' };
import cancelled from './recorded-events/cancelled.json' with { type: 'json' };
import coalesced from './recorded-events/coalesced.json' with { type: 'json' };
import completed from './recorded-events/completed.json' with { type: 'json' };
import failed from './recorded-events/failed.json' with { type: 'json' };

/** Folds a recording into the view state, as the progress view does event by event. */
function fold(events: readonly EventEnvelope[], from?: OperationViewState): OperationViewState {
  const start = from ?? initialOperationState(events[0]!.operationId!);
  return events.reduce(reduceOperationEvent, start);
}

describe('reduceOperationEvent', () => {
  it('follows a recorded operation from queued to completed', () => {
    const events = completed as EventEnvelope[];
    const operationId = events[0]!.operationId!;
    const queued = fold(events.slice(0, 1));
    expect(queued).toMatchObject({
      operationId,
      phase: 'queued',
      kind: 'rescan',
      summary: 'test operation (100 progress events)',
      done: 0,
    });
    const running = fold(events.slice(0, 52));
    expect(running).toMatchObject({ phase: 'running', done: 50, total: 100, current: 'item-50', progressEvents: 50 });
    expect(isTerminal(running)).toBe(false);
    const done = fold(events);
    expect(done).toMatchObject({
      phase: 'completed',
      done: 100,
      total: 100,
      finalMessage: 'completed (revision 1)',
      progressEvents: 100,
    });
    expect(done.terminalPayload).toEqual(events.at(-1)!.payload);
    expect(isTerminal(done)).toBe(true);
  });

  it('is never completed without a terminal event, however far progress got', () => {
    const events = (completed as EventEnvelope[]).slice(0, -1);
    const state = fold(events);
    expect(state.done).toBe(state.total);
    expect(state.phase).toBe('running');
    expect(state.finalMessage).toBeUndefined();
    expect(isTerminal(state)).toBe(false);
  });

  it('takes coalesced progress at its word: the counts jump, fewer events arrive', () => {
    const events = coalesced as EventEnvelope[];
    const beforeJump = fold(events.slice(0, 12));
    expect(beforeJump).toMatchObject({ done: 10, total: 100, progressEvents: 10 });
    const afterJump = reduceOperationEvent(beforeJump, events[12]!);
    expect(afterJump).toMatchObject({ done: 90, total: 100, current: 'item-90', progressEvents: 11 });
    const end = fold(events);
    expect(end).toMatchObject({ phase: 'completed', done: 100, progressEvents: 21 });
  });

  it("ends failed and cancelled operations with the packer's own words", () => {
    expect(fold(failed as EventEnvelope[])).toMatchObject({
      phase: 'failed',
      kind: 'update',
      finalMessage: 'failed: CONFLICT: The snapshot moved from revision 0 to 1 since the preview.',
    });
    expect(fold(cancelled as EventEnvelope[])).toMatchObject({
      phase: 'cancelled',
      done: 5,
      total: 5,
      finalMessage: 'cancelled: test operation cancelled',
    });
  });

  it('accumulates warnings and counts, and derives the rate from event timestamps', () => {
    const events = buildFailed as EventEnvelope[];
    const afterFirst = fold(events.slice(0, 3));
    expect(afterFirst).toMatchObject({
      done: 4,
      bytes: 40960,
      counts: { processed: 3, cached: 1, failed: 0 },
      warnings: [],
    });
    // 4 items 250 ms after `started`.
    expect(afterFirst.rate).toBeCloseTo(16);
    const afterThird = fold(events.slice(0, 5));
    expect(afterThird.warnings.map((warning) => warning.code)).toEqual(['CASE_COLLISION', 'EMPTY_PACK']);
    expect(afterThird.counts).toEqual({ processed: 8, cached: 3, failed: 1 });
    expect(afterThird.rate).toBeCloseTo(12);
    expect(fold(events)).toMatchObject({
      phase: 'failed',
      finalMessage: 'failed: BLOCKED (1 blocker)',
    });
  });

  it('ignores events of other operations and events after the terminal one', () => {
    const events = completed as EventEnvelope[];
    const state = fold(events.slice(0, 20));
    const foreign = { ...events[20]!, operationId: 'op_someone_else' };
    expect(reduceOperationEvent(state, foreign)).toBe(state);
    const done = fold(events);
    const late = { ...events[50]!, sequence: 200 };
    expect(reduceOperationEvent(done, late).phase).toBe('completed');
  });

  it('drops replayed events: a client that resubscribes from an older cursor never sees progress go back', () => {
    const events = completed as EventEnvelope[];
    const state = fold(events.slice(0, 52));
    expect(state).toMatchObject({ done: 50, progressEvents: 50 });
    const replayed = fold(events.slice(10, 52), state);
    expect(replayed).toBe(state);
    expect(fold([...events.slice(0, 52), ...events.slice(0, 20), ...events.slice(52)])).toEqual(fold(events));
  });

  it('shows a running operation whose queued and started events it joined too late for', () => {
    const events = completed as EventEnvelope[];
    const joinedLate = fold(events.slice(40), initialOperationState(events[0]!.operationId!));
    expect(joinedLate).toMatchObject({ phase: 'completed', done: 100 });
    expect(fold(events.slice(40, 60), initialOperationState(events[0]!.operationId!)).phase).toBe('running');
  });
});
