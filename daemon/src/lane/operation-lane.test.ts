import { describe, expect, it } from 'vitest';
import {
  PackerError,
  foldOperation,
  initialOperation,
  operationInfoOf,
  type LifecycleEventType,
} from '@packer/core/contract';
import { OperationLane, type LifecycleEventInput, type OperationContext } from './operation-lane.js';

/** A lane whose events are kept in order, as the daemon's log would keep them. */
function laneWithLog(): { lane: OperationLane; events: LifecycleEventInput<LifecycleEventType>[] } {
  const events: LifecycleEventInput<LifecycleEventType>[] = [];
  const lane = new OperationLane(
    (event) => void events.push(event),
    () => 7,
  );
  return { lane, events };
}

/** What a client folding the same events sees. */
function clientView(events: readonly LifecycleEventInput<LifecycleEventType>[], operationId: string) {
  const state = events.reduce((current, event) => foldOperation(current, event), initialOperation(operationId));
  return operationInfoOf(state);
}

describe('OperationLane', () => {
  it('reports each operation exactly as a client folding its events sees it', async () => {
    const { lane, events } = laneWithLog();
    let context!: OperationContext;
    let finish!: () => void;
    const { operationId, done } = lane.enqueue({
      kind: 'build',
      summary: 'build all packs',
      actor: { client: 'cli', pid: 42 },
      run: async (operation) => {
        context = operation;
        operation.progress({ done: 1, total: 3, current: 'assets/a.png', counts: { processed: 1 } });
        await new Promise<void>((resolve) => (finish = resolve));
        operation.progress({ done: 3, total: 3 });
        return { revisionAfter: 8, result: { packs: 1 } };
      },
    });
    expect(lane.get(operationId)).toMatchObject({
      state: 'running',
      progress: { done: 1, total: 3, current: 'assets/a.png' },
    });
    expect(lane.get(operationId)).toEqual({ ...clientView(events, operationId), actor: { client: 'cli', pid: 42 } });
    finish();
    await done;
    // Progress after the end is not reported: the terminal event was the last word.
    context.progress({ done: 99 });
    expect(events.map((event) => [event.type, event.sequence])).toEqual([
      ['queued', 1],
      ['started', 2],
      ['progress', 3],
      ['progress', 4],
      ['completed', 5],
    ]);
    const info = lane.get(operationId);
    expect(info).toEqual({ ...clientView(events, operationId), actor: { client: 'cli', pid: 42 } });
    // The row's times are the events' own times.
    expect(info).toMatchObject({
      state: 'completed',
      queuedAt: events[0]!.time,
      startedAt: events[1]!.time,
      endedAt: events[4]!.time,
      progress: { done: 3, total: 3 },
    });
    expect(info.progress?.current).toBeUndefined();
  });

  it('records a failure with the packer error it ended with', async () => {
    const { lane, events } = laneWithLog();
    const { operationId, done } = lane.enqueue({
      kind: 'move',
      summary: 'move a → b',
      run: () =>
        Promise.reject(new PackerError('CONFLICT', 'The snapshot moved from revision 7 to 8 since the preview.', {})),
    });
    await expect(done).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(events.at(-1)).toMatchObject({ type: 'failed', payload: { kind: 'move', error: { code: 'CONFLICT' } } });
    expect(lane.get(operationId)).toMatchObject({
      state: 'failed',
      error: { code: 'CONFLICT', message: 'The snapshot moved from revision 7 to 8 since the preview.' },
    });
  });

  it('hands the original throw of an INTERNAL failure to the daemon (its log keeps the stack the client never sees)', async () => {
    const internal: { operationId: string; error: unknown }[] = [];
    const lane = new OperationLane(
      () => undefined,
      () => 7,
      (operationId, error) => void internal.push({ operationId, error }),
    );
    // What a 1M-file add hit after its commit: a RangeError from a spread of a million arguments.
    const overflow = new RangeError('Maximum call stack size exceeded');
    const failed = lane.enqueue({ kind: 'register', summary: 'register assets', run: () => Promise.reject(overflow) });
    await expect(failed.done).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'Internal error: Maximum call stack size exceeded',
    });
    expect(internal).toEqual([{ operationId: failed.operationId, error: overflow }]);
    expect((internal[0]!.error as Error).stack).toContain('operation-lane.test.ts');

    // A refusal with a stable code is the client's to read, not a bug to log.
    const refused = lane.enqueue({
      kind: 'move',
      summary: 'move a → b',
      run: () => Promise.reject(new PackerError('CONFLICT', 'The snapshot moved.', {})),
    });
    await expect(refused.done).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(internal).toHaveLength(1);
  });

  it('cancels a queued operation with its terminal event and reports it cancelled', async () => {
    const { lane, events } = laneWithLog();
    let finish!: () => void;
    const first = lane.enqueue({
      kind: 'build',
      summary: 'first',
      run: () =>
        new Promise<{ revisionAfter: number; result: null }>(
          (resolve) => (finish = () => resolve({ revisionAfter: 7, result: null })),
        ),
    });
    const second = lane.enqueue({
      kind: 'build',
      summary: 'second',
      run: () => Promise.resolve({ revisionAfter: 7, result: null }),
    });
    expect(lane.cancel(second.operationId, 'not needed')).toBe('cancelled');
    await expect(second.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(events.filter((event) => event.operationId === second.operationId).map((event) => event.type)).toEqual([
      'queued',
      'cancelled',
    ]);
    expect(lane.get(second.operationId)).toEqual(clientView(events, second.operationId));
    finish();
    await first.done;
    expect(lane.list().map((info) => [info.summary, info.state])).toEqual([
      ['first', 'completed'],
      ['second', 'cancelled'],
    ]);
  });
});
