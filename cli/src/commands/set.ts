import { Args, Flags } from '@oclif/core';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';

export default class Set extends MutationCommand<typeof Set> {
  static override description = 'Change settings, tags or kind of one asset. `key=` removes a setting.';
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
    const settings: Record<string, string | number | boolean | null> = {};
    for (const pair of pairs) {
      const index = pair.indexOf('=');
      if (index <= 0) this.error(`Expected key=value, got "${pair}".`, { code: 'INVALID_PARAMS', exit: 2 });
      settings[pair.slice(0, index)] = parseValue(pair.slice(index + 1));
    }
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

/** Command-line text to a setting value: true/false, numbers, empty = remove, anything else a string. */
function parseValue(text: string): string | number | boolean | null {
  if (text === '') return null;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}
