import { stopDaemonFor } from '../../base/daemon-control.js';
import { PackerCommand } from '../../base/packer-command.js';

export default class DaemonStop extends PackerCommand<typeof DaemonStop> {
  static override description =
    "Stop the project's daemon gracefully (the running operation completes or is cancelled with its terminal event).";
  static override examples = ['<%= config.bin %> daemon stop'];

  async run(): Promise<{ stopped: boolean; pid?: number }> {
    const result = await stopDaemonFor(this.projectRoot());
    if (!this.jsonEnabled())
      this.log(result.stopped ? `Stopped the packer daemon (pid ${result.pid}).` : 'No packer daemon was running.');
    return result;
  }
}
