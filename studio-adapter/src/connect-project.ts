import { findProjectRoot, ProjectClient } from '@packer/client';
import { StudioSession, type StudioSessionOptions } from './studio-session.js';

export interface ConnectProjectOptions extends StudioSessionOptions {
  /** Name of the client, for audit records. Default `studio`. */
  client?: string;
  /** Start the daemon when none runs (default true). */
  autoStart?: boolean;
  /** Environment for a daemon this starts. */
  env?: NodeJS.ProcessEnv;
  /** Run the daemon's server inside this process (no socket, no watcher): for tools and tests. */
  inProcess?: boolean;
}

/**
 * Opens a session on the project holding `dir` (the nearest packer.json upward) through the daemon's client
 * library: it finds the running daemon or starts one, and reconnects (restarting it) when it goes away.
 */
export async function connectProject(dir: string, options: ConnectProjectOptions = {}): Promise<StudioSession> {
  const { client = 'studio', autoStart, env, inProcess, ...sessionOptions } = options;
  const root = findProjectRoot(dir);
  const daemonClient = await ProjectClient.connect(root, {
    client,
    ...(autoStart !== undefined ? { autoStart } : {}),
    ...(env !== undefined ? { env } : {}),
    ...(inProcess !== undefined ? { inProcess } : {}),
  });
  return StudioSession.open(daemonClient, sessionOptions);
}
