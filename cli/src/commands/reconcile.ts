import { Flags } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';

export default class Reconcile extends MutationCommand<typeof Reconcile> {
  static override description =
    "Review and apply the packer's proposals for divergence: relink outside moves (renamed-and-edited files are listed with their similarity score and reason), drop missing assets, adopt untracked files. An ambiguous match is left alone (see `packer relink`); the rest proceeds.";
  static override examples = [
    '<%= config.bin %> reconcile',
    '<%= config.bin %> reconcile --only relink,adopt --yes',
    '<%= config.bin %> reconcile --dry-run --json',
  ];
  static override flags = {
    only: Flags.string({ description: 'Comma-separated subset of adopt, drop, relink.' }),
  };

  async run(): Promise<MutationOutcome> {
    const include = this.flags.only
      ?.split(',')
      .map((item) => item.trim())
      .filter(Boolean) as ('adopt' | 'drop' | 'relink')[] | undefined;
    return this.previewAndApply({ type: 'reconcile', ...(include ? { include } : {}) });
  }
}
