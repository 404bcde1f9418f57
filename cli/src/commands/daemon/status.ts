import { connectToDaemon, isDaemonAlive, projectFiles, readEndpoint } from '@packer/client';
import { PackerError } from '@packer/core/contract/runtime';
import type { MethodResult } from '@packer/core/contract';
import { PackerCommand } from '../../base/packer-command.js';
import { formatDuration } from '../../render/format.js';
import { terminalText as t } from '../../render/terminal-text.js';
import { healthWarningLines } from '../../status/health-warnings.js';

export default class DaemonStatus extends PackerCommand<typeof DaemonStatus> {
  static override description =
    "Is the project's daemon running? Its pid, uptime, readiness, watcher and lane, and what its health warns about (tools without a sandbox, files it cannot write).";
  static override examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --json'];

  async run(): Promise<{
    running: boolean;
    /** False when the daemon's process is alive but did not answer in time (busy, or stuck). */
    answering?: boolean;
    pid?: number;
    health?: MethodResult<'daemon.health'>;
  }> {
    let connected;
    try {
      connected = await connectToDaemon(this.projectRoot(), {
        client: 'cli:daemon status',
        autoStart: false,
        ready: false,
      });
    } catch (error) {
      if (error instanceof PackerError && error.code === 'NOT_READY') {
        // A daemon whose event loop is busy (a long apply) does not answer hello, but it is running: saying "none"
        // would send the user to start another one or to delete .packer/.
        const endpoint = readEndpoint(projectFiles(this.projectRoot()).endpointFile);
        if (endpoint && isDaemonAlive(endpoint.pid)) {
          if (!this.jsonEnabled()) {
            this.log(`A packer daemon is running (pid ${endpoint.pid}) but not answering.`);
            this.log(
              'hint: It may be busy with a long operation: wait and retry, or see `packer daemon logs`. If it stays silent, `packer daemon restart`.',
            );
          }
          return { running: true, answering: false, pid: endpoint.pid };
        }
        if (!this.jsonEnabled()) this.log('No packer daemon is running for this project.');
        return { running: false };
      }
      throw error;
    }
    const health = await connected.connection.call('daemon.health', {});
    connected.connection.close();
    if (!this.jsonEnabled()) {
      this.log(
        `running: pid ${health.pid}, up ${formatDuration(health.uptimeMs)}, ${health.ready ? `ready, revision ${health.revision}` : 'opening the project (not ready yet)'}`,
      );
      this.log(
        `watcher: ${t(health.watcher.backend)} ${t(health.watcher.state)}${health.watcher.reason ? ` (${t(health.watcher.reason)})` : ''}${health.watcher.hint ? `\nhint: ${t(health.watcher.hint)}` : ''}`,
      );
      if (health.websocket) this.log(`websocket: ${t(health.websocket.url)} (token in .packer/ws-token)`);
      this.log(
        `lane: depth ${health.laneDepth}${health.runningOperation ? `, running ${t(health.runningOperation)}` : ''}; ${health.connections} connections, ${health.subscribers} subscribers`,
      );
      for (const line of healthWarningLines(health)) this.log(line);
    }
    return { running: true, health };
  }
}
