import path from 'node:path';
import { isPackerError, PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import type { MethodResult } from '@packer/core/contract';
import { connectToDaemon } from './connect.js';
import { startDaemonProcess } from './start-daemon.js';

export interface EnsureDaemonOptions {
  /** Name of the client, for audit records. */
  client: string;
  env?: NodeJS.ProcessEnv;
  /** Return once the daemon is ready (its project open), not as soon as it is live. */
  wait?: boolean;
  /** The daemon executable to start (tests: `testDaemonEntryPoint()`). */
  daemonEntryPoint?: string;
}

export interface EnsuredDaemon {
  /** False when a daemon was running already. */
  started: boolean;
  hello: MethodResult<'daemon.hello'>;
  /** Whether the daemon was known to be ready on return (always with `wait`). */
  ready: boolean;
}

/**
 * Makes sure the project's daemon runs (`packer daemon start`), without keeping a connection. A daemon this call
 * starts is back once it is live, with what its hello answers sent over the start-up channel: no round trip that its
 * open (seconds at 100,000 files) would hold up. A daemon already running is asked for hello and health.
 */
export async function ensureDaemon(projectRoot: string, options: EnsureDaemonOptions): Promise<EnsuredDaemon> {
  const root = path.resolve(projectRoot);
  const connect = { client: options.client, ready: options.wait ?? false, ...withEnv(options) };
  const running = await connectToDaemon(root, { ...connect, autoStart: false }).catch(() => undefined);
  if (running) return { started: false, ...(await helloAndReadiness(running)) };
  if (!options.wait) {
    try {
      const started = await startDaemonProcess(root, options.env, [], options.daemonEntryPoint);
      if (started.hello?.protocolVersion === PROTOCOL_VERSION)
        return { started: true, hello: started.hello, ready: false };
    } catch (error) {
      // Lost a start race to another client: its daemon is coming up, connect to it below.
      if (!(isPackerError(error, 'NOT_READY') && error.data.pid !== undefined)) throw error;
    }
  }
  return { started: true, ...(await helloAndReadiness(await connectToDaemon(root, connect))) };
}

async function helloAndReadiness(
  connected: Awaited<ReturnType<typeof connectToDaemon>>,
): Promise<Omit<EnsuredDaemon, 'started'>> {
  try {
    const { ready } = await connected.connection.call('daemon.health', {});
    return { hello: connected.hello, ready };
  } finally {
    connected.connection.close();
  }
}

function withEnv(options: EnsureDaemonOptions): { env?: NodeJS.ProcessEnv; daemonEntryPoint?: string } {
  return {
    ...(options.env ? { env: options.env } : {}),
    ...(options.daemonEntryPoint ? { daemonEntryPoint: options.daemonEntryPoint } : {}),
  };
}
