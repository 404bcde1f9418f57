import { Args } from '@oclif/core';
import type { PackEntryInfo } from '@packer/core/contract';
import { PAGE_SIZES } from '@packer/core/contract/runtime';
import { PackerCommand } from '../../base/packer-command.js';
import { formatBytes, table } from '../../render/format.js';
import { terminalText } from '../../render/terminal-text.js';

export default class PackLs extends PackerCommand<typeof PackLs> {
  static override description = 'List the entries of a built pack (from its own table, sorted by asset id).';
  static override examples = ['<%= config.bin %> pack ls sprites', '<%= config.bin %> pack ls core --json'];
  static override args = { pack: Args.string({ description: 'Pack name, or the path of a .pack file.', required: true }) };

  async run(): Promise<{ pack: string; file: string; digest?: string; items: PackEntryInfo[] }> {
    const client = await this.client();
    const pack = this.args.pack.endsWith('.pack') ? this.projectPath(this.args.pack) : this.args.pack;
    const items: PackEntryInfo[] = [];
    let page: string | undefined;
    let answer;
    do {
      answer = await client.call('packs.entries', { pack, limit: PAGE_SIZES['packs.entries'].max, ...(page ? { page } : {}) });
      items.push(...answer.items);
      page = answer.nextPage;
    } while (page);
    if (!this.jsonEnabled()) {
      this.log(terminalText(`${answer.file}  ${answer.digest ? `sha256 ${answer.digest}` : ''}  ${items.length} entries`));
      this.log(table(items.map((entry) => [entry.id, entry.kind, formatBytes(entry.size), entry.name, Object.entries(entry.metadata).map(([k, v]) => `${k}=${String(v)}`).join(' ')])));
    }
    return { pack: answer.pack, file: answer.file, ...(answer.digest ? { digest: answer.digest } : {}), items };
  }
}
