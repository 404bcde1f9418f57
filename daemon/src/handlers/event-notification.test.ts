import { describe, expect, it } from 'vitest';
import { Notifications, type EventEnvelope } from '@packer/core/contract';
import { eventNotification, notification } from './event-notification.js';

describe('the notifications the daemon sends', () => {
  const event: EventEnvelope = {
    cursor: '4.12',
    type: 'snapshot.changed',
    time: '2026-01-01T00:00:00.000Z',
    payload: { revision: 9 },
  };

  it('events.event: a JSON-RPC notification whose params are what the contract says', () => {
    const message = JSON.parse(eventNotification('sub_1', event)) as {
      jsonrpc: string;
      method: string;
      params: unknown;
      id?: unknown;
    };
    expect(message).toMatchObject({ jsonrpc: '2.0', method: 'events.event' });
    expect(message.id).toBeUndefined();
    expect(Notifications['events.event'].parse(message.params)).toEqual({ subscriptionId: 'sub_1', event });
    // Encoded once per event, the same text for the same subscriber however often it is asked.
    expect(eventNotification('sub_1', event)).toBe(eventNotification('sub_1', event));
  });

  it('events.closed: built from the contract-typed params', () => {
    const params = {
      subscriptionId: 'sub_1',
      code: 'CURSOR_EXPIRED',
      reason: 'The log rotated past the cursor before replay started.',
      resumeCursor: '4.3',
    };
    const message = JSON.parse(notification('events.closed', params)) as { method: string; params: unknown };
    expect(message.method).toBe('events.closed');
    expect(Notifications['events.closed'].parse(message.params)).toEqual(params);
  });
});
