import { describe, expect, it } from 'vitest';
import type { EventEnvelope, OperationInfo } from '@packer/core/contract';
import completed from '../progress/recorded-events/completed.json' with { type: 'json' };
import { applyOperationEvent } from './operations-from-events.js';

const events = completed as EventEnvelope[];
const operationId = events[0]!.operationId!;
const listed = (state: OperationInfo['state']): OperationInfo => ({
  operationId,
  kind: 'rescan',
  state,
  summary: 'test operation (100 progress events)',
  queuedAt: events[0]!.time,
  progress: { done: 40, total: 100 },
  actor: { client: 'studio', pid: 7 },
});

describe('applyOperationEvent', () => {
  it('follows an operation that `operations.list` reported as running, keeping its actor', () => {
    const rows = new Map([[operationId, listed('running')]]);
    for (const event of events.slice(50)) applyOperationEvent(rows, event);
    expect(rows.get(operationId)).toMatchObject({
      state: 'completed',
      progress: { done: 100, total: 100 },
      actor: { client: 'studio', pid: 7 },
    });
  });

  it('leaves an operation that `operations.list` reported as finished as listed', () => {
    const row = listed('cancelled');
    const rows = new Map([[operationId, row]]);
    for (const event of events) applyOperationEvent(rows, event);
    expect(rows.get(operationId)).toBe(row);
  });

  it('keeps at most `limit` finished operations it followed, dropping the oldest', () => {
    const rows = new Map<string, OperationInfo>();
    const ids = ['op_a', 'op_b', 'op_c'];
    for (const id of ids) {
      for (const event of [events[0]!, events[1]!, events.at(-1)!])
        applyOperationEvent(rows, { ...event, operationId: id }, 2);
    }
    expect([...rows.keys()]).toEqual(['op_b', 'op_c']);
    expect([...rows.values()].map((row) => row.state)).toEqual(['completed', 'completed']);
  });
});
