import { PackerError } from '@packer/core/contract/runtime';
import type { Transport } from '../common/transport.js';

/** What `connectInProcess` needs of @packer/daemon's `Daemon`; the daemon checks at build time that it fits. */
export interface InProcessDaemon {
  start(): Promise<void>;
  connectInProcess(): Transport;
  shutdown(reason: string): Promise<void>;
}

export type InProcessDaemonClass = new (options: {
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  listen: false;
  watch: false;
  idleTimeoutMs: number;
}) => InProcessDaemon;

// A name in a variable, not a literal: the daemon takes its wire from this package, so a literal import would
// make a build-time cycle; and only `--no-daemon` runs need the daemon installed next to the client.
const DAEMON_PACKAGE = '@packer/daemon';

/** Loads the daemon's server class to run it in this process. */
export async function loadInProcessDaemon(): Promise<InProcessDaemonClass> {
  try {
    return ((await import(DAEMON_PACKAGE)) as { Daemon: InProcessDaemonClass }).Daemon;
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' ||
      !String((error as Error).message).includes(DAEMON_PACKAGE)
    )
      throw error;
    throw new PackerError(
      'NOT_READY',
      `Running the daemon in this process needs the ${DAEMON_PACKAGE} package, which is not installed next to @packer/client.`,
      {
        hint: `Install ${DAEMON_PACKAGE}, or connect to a daemon process instead of running in-process.`,
      },
      { cause: error },
    );
  }
}
