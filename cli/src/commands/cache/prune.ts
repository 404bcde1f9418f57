import { Flags } from '@oclif/core';
import { PackerError } from '@packer/core/contract/runtime';
import type { MethodResult } from '@packer/core/contract';
import { createInterface } from 'node:readline/promises';
import { PackerCommand } from '../../base/packer-command.js';
import { formatBytes, plural } from '../../render/format.js';
import { renderCacheStats } from './stats.js';

export default class CachePrune extends PackerCommand<typeof CachePrune> {
  static override description =
    'Delete cached outputs from the local cache (.packer/cache/), least recently used first: all of them, or down to --max-bytes. The next build processes (or downloads) them again; packs are not touched.';

  static override examples = [
    '<%= config.bin %> cache prune --yes',
    '<%= config.bin %> cache prune --max-bytes 500000000 --yes',
  ];
  static override flags = {
    'max-bytes': Flags.integer({
      description: 'Keep the most recently used outputs up to this many bytes (default: keep nothing).',
      min: 0,
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Delete without asking (required when stdin is not a terminal).',
      default: false,
    }),
  };

  async run(): Promise<MethodResult<'cache.prune'>> {
    const client = await this.client();
    const maxBytes = this.flags['max-bytes'];
    const before = await client.call('cache.stats', {});
    const what =
      maxBytes === undefined
        ? `all ${plural(before.entries, 'cached output')} (${formatBytes(before.diskBytes)} on disk)`
        : `cached outputs beyond ${formatBytes(maxBytes)}`;
    if (!this.flags.yes && !(await this.confirmed(`Delete ${what}?`))) {
      if (!this.jsonEnabled()) this.log('Nothing deleted.');
      return { removedEntries: 0, freedBytes: 0, stats: before };
    }
    const result = await client.call('cache.prune', maxBytes === undefined ? {} : { maxBytes });
    if (!this.jsonEnabled())
      this.log(
        `Removed ${plural(result.removedEntries, 'output')}, freed ${formatBytes(result.freedBytes)}.\n${renderCacheStats(result.stats)}`,
      );
    return result;
  }

  /** As every destructive command: ask on a terminal, refuse without one (CONFIRMATION_REQUIRED, exit 2). */
  private async confirmed(question: string): Promise<boolean> {
    if (!process.stdin.isTTY) {
      throw new PackerError(
        'CONFIRMATION_REQUIRED',
        `Not deleted: cache prune deletes cached outputs, and there is no terminal on stdin to confirm it.`,
        {
          hint: 'Pass --yes to delete without asking.',
        },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  }
}
