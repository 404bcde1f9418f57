import { z } from 'zod';
import { Cursor, EventEnvelope } from './events.js';
import { method } from './method-definition.js';

/** Event subscriptions: replay from a cursor, then follow live. */
export const EventMethods = {
  'events.subscribe': method(
    z.object({
      since: Cursor.optional(),
      /** Without `since`: replay the last this many events the log holds (fewer when it holds fewer), then follow. */
      last: z.number().int().min(0).max(10_000).optional(),
    }),
    z.object({
      subscriptionId: z.string(),
      /** The newest cursor at subscription time. */
      cursor: Cursor,
      generation: z.number().int(),
      /** True when `since` came from an earlier daemon generation (the daemon restarted since). */
      restarted: z.boolean(),
      /** How many held events are replayed before live ones. */
      replayed: z.number().int(),
      /** The cursor the replay starts after: `since` as given, the one `last` chose, or the newest (no replay). */
      since: Cursor,
    }),
    'Replay events after `since` (or the last `last` events), then follow live (as `events.event` notifications). CURSOR_EXPIRED when `since` is older than the log.',
  ),
  'events.unsubscribe': method(
    z.object({ subscriptionId: z.string().min(1) }),
    z.object({ ok: z.literal(true) }),
    'Stop a subscription.',
  ),
} as const;

/** Server → client notifications. */
export const Notifications = {
  /** One event of a subscription. */
  'events.event': z.object({ subscriptionId: z.string(), event: EventEnvelope }),
  /** The daemon ended a subscription (overflow, shutdown); resume with `events.subscribe({ since: resumeCursor })`. */
  'events.closed': z.object({ subscriptionId: z.string(), code: z.string(), reason: z.string(), resumeCursor: Cursor }),
} as const;
export type NotificationName = keyof typeof Notifications;
export type NotificationParams<N extends NotificationName> = z.infer<(typeof Notifications)[N]>;
