import { Flags } from '@oclif/core';
import type { AuditRecord } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { table } from '../render/format.js';

export default class History extends PackerCommand<typeof History> {
  static override description = 'The audit log: every applied or refused mutation, who asked, and the revisions before and after.';
  static override examples = ['<%= config.bin %> history', '<%= config.bin %> history --limit 5 --json'];
  static override flags = { limit: Flags.integer({ description: 'Only the newest N records.', default: 50, min: 1 }) };

  async run(): Promise<{ items: AuditRecord[] }> {
    const client = await this.client();
    const answer = await client.call('audit.list', { limit: this.flags.limit });
    if (!this.jsonEnabled()) {
      if (answer.items.length === 0) this.log('No mutations recorded yet.');
      else this.log(table(answer.items.map((record) => [
        record.time.replace('T', ' ').slice(0, 19),
        record.result,
        record.scope.type,
        `r${record.revisionBefore}→r${record.revisionAfter}`,
        `${record.actor.client}${record.actor.user ? ` (${record.actor.user})` : ''}`,
        record.error ? `${record.error.code}: ${record.error.message}` : record.operationId,
      ])));
    }
    return answer;
  }
}
