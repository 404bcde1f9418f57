import type { BuildOptions, CommitHook } from '@packer/core';
import type { ConnectionContext } from './connection-context.js';
import type { DaemonServices } from './handlers/daemon-services.js';
import type { ExtraMethods } from './rpc/rpc-server.js';

/**
 * What a test entry (`@packer/daemon/testing`, the `packer-daemon-test` bin) composes into a daemon: methods
 * outside the contract and failure injection. The production bin never passes any.
 */
export interface DaemonHooks {
  /** Methods served next to the contract's, over the same services. */
  methods?(services: DaemonServices): ExtraMethods<ConnectionContext>;
  /** Called at each commit point of an apply (kill -9 mid-commit). */
  commitHook?: CommitHook;
  /** Awaited once the daemon is live, before it opens its project (a test holds or fails the open there). */
  beforeOpen?: () => Promise<void>;
  /** How long a stop asked for during the open waits for it (default 60 s). */
  stopWhileOpeningMs?: number;
  /** Called between the steps that put a build's packs in place. */
  buildCrashHook?: BuildOptions['crashHook'];
}
