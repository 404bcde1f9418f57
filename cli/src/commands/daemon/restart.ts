import { ensureDaemon } from '@packer/client';
import { stopDaemonFor } from '../../base/daemon-control.js';
import { PackerCommand } from '../../base/packer-command.js';

export default class DaemonRestart extends PackerCommand<typeof DaemonRestart> {
  static override description = "Stop the project's daemon if it runs, then start a new one.";
  static override examples = ['<%= config.bin %> daemon restart'];

  async run(): Promise<{ pid: number; previousPid?: number }> {
    const root = this.projectRoot();
    const stopped = await stopDaemonFor(root, 'packer daemon restart');
    // Live is enough, as for `packer daemon start`: the next command waits for the open.
    const { hello } = await ensureDaemon(root, { client: 'cli:daemon restart' });
    if (!this.jsonEnabled())
      this.log(`packer daemon restarted: pid ${hello.pid}${stopped.pid ? ` (was ${stopped.pid})` : ''}.`);
    return { pid: hello.pid, ...(stopped.pid ? { previousPid: stopped.pid } : {}) };
  }
}
