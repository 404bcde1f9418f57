import { Args } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';

export default class Relink extends MutationCommand<typeof Relink> {
  static override description =
    'Relink by hand an asset whose file is missing to the file it now is (renamed, perhaps edited, outside the packer): the id, kind, settings and tags are kept; no file moves.';
  static override examples = [
    '<%= config.bin %> relink assets/old-name.gd assets/scripts/new-name.gd',
    '<%= config.bin %> relink a_01JABCDEF0123456789ABCDEFG assets/hero_v2.png --yes',
  ];
  static override args = {
    from: Args.string({ description: 'The missing asset: its id or its registered path.', required: true }),
    to: Args.string({ description: 'The unregistered file that is now this asset.', required: true }),
  };

  async run(): Promise<MutationOutcome> {
    return this.previewAndApply({
      type: 'relink',
      from: this.assetRef(this.args.from),
      to: this.projectPath(this.args.to),
    });
  }
}
