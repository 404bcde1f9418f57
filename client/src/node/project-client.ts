import { DaemonClient, type DaemonClientOptions } from '../common/daemon-client.js';
import { connectInProcess, connectToDaemon, type ConnectOptions } from './connect.js';

export interface ProjectClientOptions extends ConnectOptions, DaemonClientOptions {
  /** Run the daemon's server in this process instead of connecting to a daemon (`--no-daemon`). */
  inProcess?: boolean;
}

/** A DaemonClient for a project folder: finds or starts its daemon (or runs it in-process) and reconnects. */
export class ProjectClient extends DaemonClient {
  constructor(
    readonly projectRoot: string,
    options: ProjectClientOptions,
  ) {
    super(
      () => (options.inProcess ? connectInProcess(projectRoot, options) : connectToDaemon(projectRoot, options)),
      options,
    );
  }

  /** Connects (starting the daemon if needed) and says hello. */
  static async connect(projectRoot: string, options: ProjectClientOptions): Promise<ProjectClient> {
    return new ProjectClient(projectRoot, options).open();
  }
}
