import { describe, expect, it } from 'vitest';
import { Notifications, type EventEnvelope, type NotificationParams } from '@packer/core/contract';
import { memoryTransportPair } from './memory-transport.js';
import { RpcConnection } from './rpc-connection.js';

const notify = (method: string, params: unknown) => JSON.stringify({ jsonrpc: '2.0', method, params });

describe('RpcConnection notifications', () => {
  it('hands each listener the params of its own notification, in the shape of the contract', async () => {
    const [server, client] = memoryTransportPair();
    const connection = new RpcConnection(client);
    const event: EventEnvelope = {
      cursor: '2.7',
      type: 'snapshot.changed',
      time: '2026-01-01T00:00:00.000Z',
      payload: { revision: 3 },
    };
    const closed: NotificationParams<'events.closed'> = {
      subscriptionId: 'sub_1',
      code: 'OVERFLOW',
      reason: 'The subscriber fell behind.',
      resumeCursor: '2.7',
    };
    const events = new Promise<NotificationParams<'events.event'>>((resolve) =>
      connection.onNotification('events.event', resolve),
    );
    const closes = new Promise<NotificationParams<'events.closed'>>((resolve) =>
      connection.onNotification('events.closed', resolve),
    );
    server.send(notify('events.closed', closed));
    server.send(notify('events.event', { subscriptionId: 'sub_1', event }));
    const [gotEvent, gotClosed] = await Promise.all([events, closes]);
    // Typed without a cast: the fields are read as the contract declares them.
    expect(gotEvent.event.cursor).toBe('2.7');
    expect(gotClosed.resumeCursor).toBe('2.7');
    expect(Notifications['events.event'].parse(gotEvent)).toEqual({ subscriptionId: 'sub_1', event });
    expect(Notifications['events.closed'].parse(gotClosed)).toEqual(closed);
    connection.close();
  });

  it('stops calling a listener once it is removed', async () => {
    const [server, client] = memoryTransportPair();
    const connection = new RpcConnection(client);
    const removed: string[] = [];
    const off = connection.onNotification('events.closed', (params) => removed.push(params.subscriptionId));
    off();
    // Notifications arrive in order: once the second listener sees its one, the first would have seen its too.
    const later = new Promise<string>((resolve) =>
      connection.onNotification('events.event', (params) => resolve(params.subscriptionId)),
    );
    server.send(
      notify('events.closed', { subscriptionId: 'sub_gone', code: 'OVERFLOW', reason: 'r', resumeCursor: '1.1' }),
    );
    server.send(
      notify('events.event', {
        subscriptionId: 'sub_2',
        event: { cursor: '1.2', type: 'snapshot.changed', time: '2026-01-01T00:00:00.000Z', payload: {} },
      }),
    );
    expect(await later).toBe('sub_2');
    expect(removed).toEqual([]);
    connection.close();
  });
});
