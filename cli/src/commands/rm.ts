import { Args, Flags } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';

export default class Rm extends MutationCommand<typeof Rm> {
  static override description = 'Unregister assets (ids, files or folders); --delete-file also deletes their files.';
  static override examples = [
    '<%= config.bin %> rm assets/old.png',
    '<%= config.bin %> rm a_01JQ… --delete-file --yes',
  ];
  static override strict = false;
  static override args = { targets: Args.string({ description: 'Asset ids, files or folders.', required: true }) };
  static override flags = { 'delete-file': Flags.boolean({ description: 'Delete the files too.', default: false }) };

  async run(): Promise<MutationOutcome> {
    const { argv } = await this.parse(Rm);
    const targets = (argv as string[]).map((item) => this.assetRef(item));
    return this.previewAndApply({ type: 'remove', targets, deleteFiles: this.flags['delete-file'] });
  }
}
