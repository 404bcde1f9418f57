import type { MutationInput } from '@packer/core/contract';

/** What `packer set` was given besides its target: `key=value` pairs and the flags. */
export interface UpdateArguments {
  pairs: readonly string[];
  tags?: readonly string[] | undefined;
  untags?: readonly string[] | undefined;
  kind?: string | undefined;
}

/**
 * The `update` mutation `packer set` sends (the oclif command and the lean path build it here), or the first pair
 * that is not `key=value`. Text as typed: the packer converts it by the kind's declared type ("007" stays "007" for
 * a string setting); `key=` removes a setting. Built with fromEntries: an assignment to a `__proto__` key would
 * vanish instead of reaching the packer's check.
 */
export function updateMutation(target: string, input: UpdateArguments): MutationInput | { badPair: string } {
  const badPair = input.pairs.find((pair) => pair.indexOf('=') <= 0);
  if (badPair !== undefined) return { badPair };
  const settings: Record<string, string | null> = Object.fromEntries(
    input.pairs.map((pair) => {
      const index = pair.indexOf('=');
      const value = pair.slice(index + 1);
      return [pair.slice(0, index), value === '' ? null : value];
    }),
  );
  return {
    type: 'update',
    target,
    ...(input.pairs.length ? { settings } : {}),
    ...(input.tags ? { addTags: [...input.tags] } : {}),
    ...(input.untags ? { removeTags: [...input.untags] } : {}),
    ...(input.kind ? { kind: input.kind } : {}),
  };
}
