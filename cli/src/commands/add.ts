import { Args, Flags } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';

export default class Add extends MutationCommand<typeof Add> {
  static override description = 'Register untracked files or whole folders as new assets (preview, confirm, apply).';
  static override examples = [
    '<%= config.bin %> add assets/sprites/hero.png',
    '<%= config.bin %> add assets --tag level1 --yes',
    '<%= config.bin %> add assets/new --dry-run',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'Files or folders to register.', required: true }) };
  static override flags = {
    tag: Flags.string({ description: 'Tag every new asset (repeatable).', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<MutationOutcome> {
    const { argv } = await this.parse(Add);
    const paths = (argv as string[]).map((item) => this.projectPath(item));
    return this.previewAndApply({ type: 'register', paths, ...(this.flags.tag ? { tags: this.flags.tag } : {}) });
  }
}
