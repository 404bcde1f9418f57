import type { EventEnvelope, OperationInfo } from '@packer/core/contract';
import {
  DEFAULT_OPERATION_HISTORY,
  foldOperations,
  operationFromInfo,
  operationInfoOf,
  type OperationState,
} from '@packer/core/contract/runtime';

// The folded operations behind each rows map, so stale and repeated events are recognised and finished ones age out.
const foldedByRows = new WeakMap<Map<string, OperationInfo>, ReadonlyMap<string, OperationState>>();

/**
 * Keeps the dashboard's operation rows in step with lifecycle events, through the contract's one fold. Rows that
 * came from `operations.list` are seeded from what the packer listed; past `limit` finished operations that the
 * fold followed, the oldest are dropped.
 */
export function applyOperationEvent(
  rows: Map<string, OperationInfo>,
  event: EventEnvelope,
  limit = DEFAULT_OPERATION_HISTORY,
): void {
  const { operationId } = event;
  if (!operationId) return;
  let before = foldedByRows.get(rows) ?? new Map<string, OperationState>();
  const row = rows.get(operationId);
  if (row && !before.has(operationId)) {
    // Listed as finished: its end was the packer's word already, and nothing after an end changes it.
    if (row.state !== 'queued' && row.state !== 'running') return;
    before = new Map(before).set(operationId, operationFromInfo({ ...row, state: row.state }));
  }
  const after = foldOperations(before, event, limit);
  foldedByRows.set(rows, after);
  if (after === before) return;
  const state = after.get(operationId);
  const info = state && operationInfoOf(state);
  if (info) rows.set(operationId, row?.actor ? { ...info, actor: row.actor } : info);
  for (const id of before.keys()) if (!after.has(id)) rows.delete(id);
}
