import type { z } from 'zod';
import { AuditMethods } from './audit-methods.js';
import { BuildMethods } from './build-methods.js';
import { DaemonMethods } from './daemon-methods.js';
import { EventMethods } from './event-methods.js';
import { MutationMethods } from './mutation-methods.js';
import { OperationMethods } from './operation-methods.js';
import { ReadMethods } from './read-methods.js';

export {
  PROTOCOL_VERSION,
  MAX_FRAME_BYTES,
  PAGE_SIZES,
  PLAN_SUMMARY_LIMITS,
  AUDIT_RECORD_ITEMS,
} from './runtime-constants.js';
export { RemoteCacheHealth, StorageWarning, ToolSandboxState, WatcherState } from './health-schema.js';
export { AssetListItem, UntrackedItem } from './read-methods.js';
export { OperationInfo } from './operation-methods.js';
export { Notifications, type NotificationName, type NotificationParams } from './event-methods.js';

// Each domain's methods live in a file of their own; the order here is the order the docs list them in.
/**
 * Every JSON-RPC method: params and result schemas, side by side. The daemon validates with these; the
 * client library, the CLI and the Studio adapter import the same table.
 */
export const Methods = {
  ...DaemonMethods,
  ...ReadMethods,
  ...MutationMethods,
  ...OperationMethods,
  ...EventMethods,
  ...BuildMethods,
  ...AuditMethods,
} as const;

export type MethodName = keyof typeof Methods;
export type MethodParams<M extends MethodName> = z.input<(typeof Methods)[M]['params']>;
export type MethodResult<M extends MethodName> = z.infer<(typeof Methods)[M]['result']>;
