import { Args, Flags } from '@oclif/core';
import { PackerError, RESERVED_KEYS } from '@packer/core/contract';
import { MutationCommand, type MutationOutcome } from '../base/mutation-command.js';
import { reportPackerError } from '../base/packer-command.js';
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
    // The packer refuses these keys (INVALID_PARAMS, a usage error); said here in the words of what was typed, before
    // any daemon starts. The lean path (lean-set.ts) hands such a command to this one: the packer refuses its preview.
    const reserved = reservedKeyOf(pairs);
    if (reserved !== undefined) reportPackerError(this, reservedKeyError(reserved), (json) => this.logJson(json));
    return this.previewAndApply(mutation);
  }
}

/** The first `key=value` pair whose key the packer refuses as a setting key (`__proto__`, …), if any. */
function reservedKeyOf(pairs: readonly string[]): string | undefined {
  return pairs.map((pair) => pair.slice(0, pair.indexOf('='))).find((key) => RESERVED_KEYS.includes(key));
}

function reservedKeyError(key: string): PackerError<'INVALID_PARAMS'> {
  const why = `is a reserved name (${RESERVED_KEYS.join(', ')} cannot be setting keys)`;
  return new PackerError('INVALID_PARAMS', `Setting key "${key}" ${why}; rename the setting.`, {
    issues: [{ path: `mutation.settings.${key}`, message: `${why}; rename the setting`, code: 'custom' }],
  });
}
