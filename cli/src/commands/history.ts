import { Flags } from '@oclif/core';
import type { AuditChanges, AuditRecord } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { plural, table } from '../render/format.js';
import { terminalText as t } from '../render/terminal-text.js';

export default class History extends PackerCommand<typeof History> {
  static override description =
    'The audit log: every applied or refused mutation, who asked, the revisions before and after, and what it changed.';
  static override examples = ['<%= config.bin %> history', '<%= config.bin %> history --limit 5 --json'];
  static override flags = { limit: Flags.integer({ description: 'Only the newest N records.', default: 50, min: 1 }) };

  async run(): Promise<{ items: AuditRecord[] }> {
    const client = await this.client();
    const answer = await client.call('audit.list', { limit: this.flags.limit });
    if (!this.jsonEnabled()) {
      if (answer.items.length === 0) this.log('No mutations recorded yet.');
      else {
        const rows = table(
          answer.items.map((record) => [
            record.time.replace('T', ' ').slice(0, 19),
            record.result,
            record.scope.type,
            `r${record.revisionBefore}→r${record.revisionAfter}`,
            `${record.actor.client}${record.actor.user ? ` (${record.actor.user})` : ''}`,
            record.operationId,
          ]),
        ).split('\n');
        // Each record's row, then what it did (or why it was refused) beneath it: paths are too long for a column.
        answer.items.forEach((record, index) => {
          this.log(rows[index] ?? '');
          const detail = record.error
            ? `${record.error.code}: ${record.error.message}`
            : record.changes
              ? describeChanges(record.changes)
              : undefined;
          if (detail) this.log(`    ${t(detail)}`);
        });
      }
    }
    return answer;
  }
}

/** "moved 1 (on disk: 1 move): assets/a.png → assets/b/a.png", counts as the packer recorded them. */
function describeChanges(changes: AuditChanges): string {
  const counts = [
    changes.registered > 0 ? `registered ${changes.registered}` : '',
    changes.moved > 0 ? `moved ${changes.moved}` : '',
    changes.removed > 0 ? `removed ${changes.removed}` : '',
    changes.updated > 0 ? `updated ${changes.updated}` : '',
  ].filter(Boolean);
  const files = [
    changes.movedFiles > 0 ? plural(changes.movedFiles, 'move') : '',
    changes.deletedFiles > 0 ? plural(changes.deletedFiles, 'deletion') : '',
  ].filter(Boolean);
  if (counts.length === 0 && files.length === 0) return 'no change';
  const total = changes.registered + changes.moved + changes.removed + changes.updated;
  const more = total - changes.firstPaths.length;
  const paths = changes.firstPaths.join(', ') + (more > 0 ? `, … ${more} more` : '');
  return `${counts.join(', ') || 'registry unchanged'}${files.length > 0 ? ` (on disk: ${files.join(', ')})` : ''}${paths ? `: ${paths}` : ''}`;
}
