import type { EventEnvelope } from '@packer/core/contract';
import { terminalText } from './terminal-text.js';

/** One event as a line: cursor, time, type, operation and the payload's key facts (control characters escaped). */
export function renderEventLine(event: EventEnvelope): string {
  const time = event.time.slice(11, 23);
  const op = event.operationId ? ` ${event.operationId}#${event.sequence}` : '';
  return terminalText(`${event.cursor.padEnd(8)} ${time} ${event.type.padEnd(20)}${op} ${describePayload(event)}`.trimEnd());
}

function describePayload(event: EventEnvelope): string {
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'queued':
      return String(payload.summary ?? '');
    case 'progress':
      return `${String(payload.done)}${payload.total !== undefined ? `/${String(payload.total)}` : ''} ${String(payload.current ?? '')}`;
    case 'completed':
      return `revision ${String(payload.revisionAfter)}`;
    case 'failed': {
      const error = payload.error as { code?: string; message?: string } | undefined;
      return `${error?.code ?? ''}: ${error?.message ?? ''}`;
    }
    case 'cancelled':
      return String(payload.reason ?? '');
    case 'snapshot.changed':
      return `revision ${String(payload.previousRevision)} → ${String(payload.revision)} (${String(payload.cause)})`;
    case 'divergence.detected':
    case 'divergence.resolved':
      return `${String(payload.count)} open`;
    default:
      return Object.keys(payload).length ? JSON.stringify(payload) : '';
  }
}
