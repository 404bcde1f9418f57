import { Args, Flags } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';
import { updateMutation } from '../base/update-mutation.js';
import { terminalText } from '../render/terminal-text.js';

export default class Set extends MutationCommand<typeof Set> {
  static override description =
    "Change settings, tags or kind of one asset. Values go to the packer as typed; it converts them by the kind's declared setting types. `key=` removes a setting.";
  static override examples = [
    '<%= config.bin %> set assets/hero.png premultiply=true maxSize=512',
    '<%= config.bin %> set assets/hero.png --tag ui --untag old',
    '<%= config.bin %> set a_01JQ… --kind binary',
  ];
  static override strict = false;
  static override args = { target: Args.string({ description: 'Asset id or path.', required: true }) };
  static override flags = {
    tag: Flags.string({ description: 'Add a tag (repeatable).', multiple: true, multipleNonGreedy: true }),
    untag: Flags.string({ description: 'Remove a tag (repeatable).', multiple: true, multipleNonGreedy: true }),
    kind: Flags.string({ description: 'Change the kind.' }),
  };

  async run(): Promise<MutationOutcome> {
    const { argv } = await this.parse(Set);
    const [target, ...pairs] = argv as string[];
    const mutation = updateMutation(this.assetRef(target!), {
      pairs,
      tags: this.flags.tag,
      untags: this.flags.untag,
      kind: this.flags.kind,
    });
    if ('badPair' in mutation) this.error(`Expected key=value, got "${terminalText(mutation.badPair)}".`, { exit: 2 });
    return this.previewAndApply(mutation);
  }
}
