import { z } from 'zod';
import { OperationKind } from './events.js';
import { method } from './method-definition.js';

/** What the daemon knows of one operation. */
export const OperationInfo = z.object({
  operationId: z.string(),
  kind: OperationKind,
  state: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
  /** One line for people, e.g. "move assets/a.png → assets/b.png". */
  summary: z.string(),
  queuedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** The latest progress payload. */
  progress: z
    .object({ done: z.number().int(), total: z.number().int().optional(), current: z.string().optional() })
    .optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  actor: z.object({ client: z.string(), pid: z.number().int().optional(), user: z.string().optional() }).optional(),
});
export type OperationInfo = z.infer<typeof OperationInfo>;

/** The operations the daemon runs on its write lane: list, look up, cancel. */
export const OperationMethods = {
  'operations.list': method(
    z.object({}),
    z.object({ items: z.array(OperationInfo) }),
    'Recent, running and queued operations.',
  ),
  'operations.get': method(z.object({ operationId: z.string().min(1) }), OperationInfo, 'One operation.'),
  'operations.cancel': method(
    z.object({ operationId: z.string().min(1) }),
    z.object({ operationId: z.string(), state: OperationInfo.shape.state }),
    'Cancel a queued or running operation; its terminal event says how it ended.',
  ),
} as const;
