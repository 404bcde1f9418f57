import type { EventEnvelope } from '@packer/core/contract';
import { asTypedEvent } from '@packer/core/contract/runtime';
import { terminalText } from './terminal-text.js';

/** One event as a line: cursor, time, type, operation and the payload's key facts (control characters escaped). */
export function renderEventLine(event: EventEnvelope): string {
  const time = event.time.slice(11, 23);
  const op = event.operationId ? ` ${event.operationId}#${event.sequence}` : '';
  return terminalText(
    `${event.cursor.padEnd(8)} ${time} ${event.type.padEnd(20)}${op} ${describePayload(event)}`.trimEnd(),
  );
}

function describePayload(envelope: EventEnvelope): string {
  // Each payload typed by its event type (and a failed event's error by its code): no casts.
  const event = asTypedEvent(envelope);
  switch (event.type) {
    case 'queued':
      return event.payload.summary;
    case 'progress':
      return `${event.payload.done}${event.payload.total !== undefined ? `/${event.payload.total}` : ''} ${event.payload.current ?? ''}`;
    case 'completed':
      return `revision ${event.payload.revisionAfter}`;
    case 'failed':
      return `${event.payload.error.code}: ${event.payload.error.message}`;
    case 'cancelled':
      return event.payload.reason;
    case 'snapshot.changed':
      return `revision ${event.payload.previousRevision} → ${event.payload.revision} (${event.payload.cause})`;
    case 'divergence.detected':
    case 'divergence.resolved':
      return `${event.payload.count} open`;
    default:
      return event.payload && Object.keys(event.payload).length ? JSON.stringify(event.payload) : '';
  }
}
