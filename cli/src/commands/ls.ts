import { Args, Flags } from '@oclif/core';
import type { AssetListItem, RegistryUnreadable } from '@packer/core/contract';
import { PAGE_SIZES } from '@packer/core/contract/runtime';
import { PackerCommand } from '../base/packer-command.js';
import { formatBytes, table } from '../render/format.js';
import { terminalText } from '../render/terminal-text.js';

export default class Ls extends PackerCommand<typeof Ls> {
  static override description = 'List assets (and untracked files with --status untracked), filtered by the packer.';
  static override examples = [
    '<%= config.bin %> ls',
    '<%= config.bin %> ls --kind image assets/sprites',
    '<%= config.bin %> ls --status missing --json',
    '<%= config.bin %> ls --tag ui --tag hud',
  ];
  static override args = { prefix: Args.string({ description: 'Only paths under this folder or prefix.' }) };
  static override flags = {
    kind: Flags.string({ description: 'Only this kind.' }),
    tag: Flags.string({
      description:
        'Only assets with this tag (repeatable: assets with any of the tags, as a pack\'s "tags" selects them).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    status: Flags.string({
      description: 'present, missing or untracked.',
      options: ['present', 'missing', 'untracked'],
    }),
  };

  async run(): Promise<{
    revision: number;
    total: number;
    items: AssetListItem[];
    registryUnreadable?: RegistryUnreadable;
  }> {
    const client = await this.client();
    // Typed relative to the current folder like every path argument; the project root itself means everything.
    const prefix = this.args.prefix === undefined ? undefined : this.projectPath(this.args.prefix);
    const items: AssetListItem[] = [];
    let page: string | undefined;
    let revision: number;
    let total: number;
    let unreadable: RegistryUnreadable | undefined;
    do {
      const answer = await client.call('assets.list', {
        sync: page === undefined,
        limit: PAGE_SIZES['assets.list'].max,
        ...(this.flags.kind ? { kind: this.flags.kind } : {}),
        ...(this.flags.tag ? { tag: this.flags.tag } : {}),
        ...(this.flags.status ? { status: this.flags.status as 'present' | 'missing' | 'untracked' } : {}),
        ...(prefix && prefix !== this.projectRoot() ? { pathPrefix: prefix } : {}),
        ...(page ? { page } : {}),
      });
      items.push(...answer.items);
      page = answer.nextPage;
      revision = answer.revision;
      total = answer.total;
      unreadable = answer.registryUnreadable;
    } while (page);
    if (!this.jsonEnabled()) {
      // The packer says when it cannot know: an unreadable registry is not an empty one.
      if (unreadable) this.log(terminalText(`Assets unknown: the registry cannot be read: ${unreadable.reason}`));
      else if (items.length === 0) this.log('No matching assets.');
      else
        this.log(
          table(
            items.map((item) => [
              'id' in item ? item.id : '(untracked)',
              item.kind,
              item.status,
              item.observation ? formatBytes(item.observation.size) : '-',
              `${item.path}${'tags' in item && item.tags.length ? `  [${item.tags.join(', ')}]` : ''}`,
            ]),
          ),
        );
    }
    return { revision, total, items, ...(unreadable ? { registryUnreadable: unreadable } : {}) };
  }
}
