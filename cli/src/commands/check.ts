import { Flags } from '@oclif/core';
import type { MethodResult } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { plural } from '../render/format.js';
import { renderDiagnostic } from '../render/render-diagnostic.js';

export default class Check extends PackerCommand<typeof Check> {
  static override description =
    'List diagnostics, including every blocker a build would hit (the packer runs the build plan without writing); exit code 1 when any blocker exists (for CI and pre-commit hooks).';
  static override examples = ['<%= config.bin %> check', '<%= config.bin %> check --severity blocker --json'];
  static override flags = {
    severity: Flags.string({ options: ['blocker', 'warning', 'info'], description: 'Only this severity.' }),
  };

  async run(): Promise<MethodResult<'diagnostics.list'>> {
    const client = await this.client();
    const params = {
      sync: true,
      preflight: true,
      ...(this.flags.severity ? { severity: this.flags.severity as 'blocker' } : {}),
    };
    // The packer pages the list; the pages of one answer all come from the snapshot revision of the first.
    const answer = await client.call('diagnostics.list', params);
    for (let next = answer.nextPage; next !== undefined;) {
      const page = await client.call('diagnostics.list', { ...params, sync: false, page: next });
      answer.items.push(...page.items);
      next = page.nextPage;
    }
    delete answer.nextPage;
    if (!this.jsonEnabled()) {
      for (const item of answer.items) this.log(renderDiagnostic(item));
      this.log(
        `revision ${answer.revision}: ${plural(answer.blockers, 'blocker')}, ${plural(answer.warnings, 'warning')}, ${answer.infos} info`,
      );
    }
    if (answer.blockers > 0) {
      if (this.jsonEnabled()) this.logJson(answer);
      this.exit(1);
    }
    return answer;
  }
}
