import type { EventEnvelope, NotificationName, NotificationParams } from '@packer/core/contract';

// Each event is serialised once, however many subscribers receive it (fan-out to 16 clients measured
// 5-20x slower when every subscriber re-encoded every event).
const encoded = new WeakMap<EventEnvelope, string>();

/** The `events.event` notification text for one subscriber: `notification('events.event', …)`, encoded once per
 * event. */
export function eventNotification(subscriptionId: string, event: EventEnvelope): string {
  let json = encoded.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    encoded.set(event, json);
  }
  return `{"jsonrpc":"2.0","method":"events.event","params":{"subscriptionId":${JSON.stringify(subscriptionId)},"event":${json}}}`;
}

/** A notification's text, its params typed by the contract's `Notifications` table (as the client reads them). */
export function notification<N extends NotificationName>(method: N, params: NotificationParams<N>): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}
