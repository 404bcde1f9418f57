import type { EventEnvelope, OperationInfo } from '@packer/core/contract';

/** Keeps the dashboard's operation rows in step with lifecycle events (translation only). */
export function applyOperationEvent(rows: Map<string, OperationInfo>, event: EventEnvelope): void {
  if (!event.operationId) return;
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const row = rows.get(event.operationId);
  switch (event.type) {
    case 'queued':
      rows.set(event.operationId, {
        operationId: event.operationId,
        kind: payload.kind as OperationInfo['kind'],
        state: 'queued',
        summary: String(payload.summary ?? ''),
        queuedAt: event.time,
      });
      break;
    case 'started':
      if (row) rows.set(event.operationId, { ...row, state: 'running', startedAt: event.time });
      break;
    case 'progress':
      if (row) {
        const progress: NonNullable<OperationInfo['progress']> = { done: Number(payload.done ?? 0) };
        if (payload.total !== undefined) progress.total = Number(payload.total);
        if (payload.current !== undefined) progress.current = String(payload.current);
        rows.set(event.operationId, { ...row, progress });
      }
      break;
    case 'completed':
    case 'cancelled':
      if (row) rows.set(event.operationId, { ...row, state: event.type, endedAt: event.time });
      break;
    case 'failed':
      if (row) {
        const error = payload.error as { code: string; message: string } | undefined;
        rows.set(event.operationId, { ...row, state: 'failed', endedAt: event.time, ...(error ? { error: { code: error.code, message: error.message } } : {}) });
      }
      break;
  }
}
