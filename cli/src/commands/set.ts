import { Args, Flags } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';
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
    tag: Flags.string({ description: 'Add a tag (repeatable).', multiple: true }),
    untag: Flags.string({ description: 'Remove a tag (repeatable).', multiple: true }),
    kind: Flags.string({ description: 'Change the kind.' }),
  };

  async run(): Promise<MutationOutcome> {
    const { argv } = await this.parse(Set);
    const [target, ...pairs] = argv as string[];
    // Text as typed: the packer converts it by the kind's declared type ("007" stays "007" for a string setting).
    // Built with fromEntries: an assignment to a `__proto__` key would vanish instead of reaching the packer's check.
    const settings: Record<string, string | null> = Object.fromEntries(
      pairs.map((pair) => {
        const index = pair.indexOf('=');
        if (index <= 0) this.error(`Expected key=value, got "${terminalText(pair)}".`, { exit: 2 });
        const value = pair.slice(index + 1);
        return [pair.slice(0, index), value === '' ? null : value];
      }),
    );
    return this.previewAndApply({
      type: 'update',
      target: this.assetRef(target!),
      ...(pairs.length ? { settings } : {}),
      ...(this.flags.tag ? { addTags: this.flags.tag } : {}),
      ...(this.flags.untag ? { removeTags: this.flags.untag } : {}),
      ...(this.flags.kind ? { kind: this.flags.kind } : {}),
    });
  }
}
