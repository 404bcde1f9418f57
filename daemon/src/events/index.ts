// The daemon's event plumbing: the persisted log, and per-subscriber queues fed from it.
export {
  EventLog,
  type EventLogInput,
  type EventLogOptions,
  type EventLogRecovery,
  type ReadSinceResult,
} from './event-log.js';
export {
  SubscriberQueue,
  type EventSink,
  type QueueOverflow,
  type SubscriberQueueOptions,
} from './subscriber-queue.js';
export { subscribeToLog, type LogSubscription, type LogSubscriptionOptions } from './log-subscription.js';
export { endUnterminated } from './end-unterminated.js';
