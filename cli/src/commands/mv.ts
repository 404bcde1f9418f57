import { Args } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';

export default class Mv extends MutationCommand<typeof Mv> {
  static override description =
    'Move or rename an asset or a folder: the files move and the registry follows; ids are kept.';
  static override examples = [
    '<%= config.bin %> mv assets/hero.png assets/characters/hero.png',
    '<%= config.bin %> mv assets/ui assets/interface --yes',
  ];
  static override args = {
    from: Args.string({ description: 'Asset id, file or folder.', required: true }),
    to: Args.string({ description: 'New path (end with / to move into a folder).', required: true }),
  };

  async run(): Promise<MutationOutcome> {
    const from = this.assetRef(this.args.from);
    const to = this.projectPath(this.args.to);
    return this.previewAndApply({ type: 'move', from, to });
  }
}
