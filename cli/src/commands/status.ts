import { PackerCommand } from '../base/packer-command.js';
import { collectStatus, renderStatus, type StatusResult } from '../status/status-report.js';

export default class Status extends PackerCommand<typeof Status> {
  static override description =
    'Revision, asset counts, divergence, diagnostics, daemon and last builds, as the packer reports them.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json',
    '<%= config.bin %> status -C path/to/game',
  ];

  async run(): Promise<StatusResult> {
    const result = await collectStatus(await this.client());
    if (!this.jsonEnabled()) this.log(renderStatus(result));
    return result;
  }
}
