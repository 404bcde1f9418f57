import type { Actor } from '@packer/core/contract';
import type { Transport } from '@packer/client';

/** Per-connection state the handlers see. */
export interface ConnectionContext {
  readonly connectionId: string;
  readonly transport: Transport;
  /** Set by `daemon.hello`; audit records name it. */
  actor: Actor;
  /** Live subscriptions of this connection, by id, with their close functions. */
  readonly subscriptions: Map<string, () => void>;
}
