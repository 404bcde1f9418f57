import { Args } from '@oclif/core';
import type { MethodResult, PackEntryInfo } from '@packer/core/contract';
import { PAGE_SIZES } from '@packer/core/contract/runtime';
import { PackerCommand } from '../../base/packer-command.js';
import { formatBytes, table } from '../../render/format.js';
import { terminalText } from '../../render/terminal-text.js';

/** One pack's entries, from its own table. */
export interface PackEntriesResult {
  pack: string;
  file: string;
  digest?: string;
  items: PackEntryInfo[];
}

export default class PackLs extends PackerCommand<typeof PackLs> {
  static override description =
    'List the entries of a built pack (from its own table, sorted by asset id). Without a pack name, list every configured pack: file, entries, size, digest and last build.';

  static override examples = [
    '<%= config.bin %> pack ls',
    '<%= config.bin %> pack ls sprites',
    '<%= config.bin %> pack ls core --json',
  ];
  static override args = {
    pack: Args.string({
      description: 'Pack name, or the path of a .pack file (default: list the packs).',
      required: false,
    }),
  };

  async run(): Promise<PackEntriesResult | MethodResult<'packs.list'>> {
    const client = await this.client();
    if (this.args.pack === undefined) {
      const packs = await client.call('packs.list', {});
      if (!this.jsonEnabled()) {
        if (packs.items.length === 0) this.log('No packs are configured in packer.json.');
        else
          this.log(
            table([
              ['PACK', 'FILE', 'ENTRIES', 'SIZE', 'SHA256', 'BUILT'],
              ...packs.items.map((pack) =>
                pack.exists
                  ? [
                      pack.name,
                      pack.file,
                      String(pack.entries ?? '?'),
                      pack.bytes === undefined ? '?' : formatBytes(pack.bytes),
                      (pack.digest ?? '?').slice(0, 12),
                      pack.lastBuild
                        ? `${pack.lastBuild.builtAt.replace('T', ' ').slice(0, 19)} (revision ${pack.lastBuild.revision})`
                        : '-',
                    ]
                  : [pack.name, pack.file, '-', '-', '-', 'not built'],
              ),
            ]),
          );
      }
      return packs;
    }
    const pack = this.args.pack.endsWith('.pack') ? this.projectPath(this.args.pack) : this.args.pack;
    const items: PackEntryInfo[] = [];
    let page: string | undefined;
    let answer;
    do {
      answer = await client.call('packs.entries', {
        pack,
        limit: PAGE_SIZES['packs.entries'].max,
        ...(page ? { page } : {}),
      });
      items.push(...answer.items);
      page = answer.nextPage;
    } while (page);
    if (!this.jsonEnabled()) {
      this.log(
        terminalText(`${answer.file}  ${answer.digest ? `sha256 ${answer.digest}` : ''}  ${items.length} entries`),
      );
      this.log(
        table(
          items.map((entry) => [
            entry.id,
            entry.kind,
            formatBytes(entry.size),
            entry.name,
            Object.entries(entry.metadata)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' '),
          ]),
        ),
      );
    }
    return { pack: answer.pack, file: answer.file, ...(answer.digest ? { digest: answer.digest } : {}), items };
  }
}
