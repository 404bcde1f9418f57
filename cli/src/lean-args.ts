/** The flags a lean command takes besides the global ones: switches, and flags with a value (repeatable or not). */
export interface LeanFlagSpec {
  /** Switch spellings to their names (`-y` and `--yes` → `yes`). */
  switches?: Readonly<Record<string, string>>;
  /** Value flags by spelling (`--tag` → `tag`); names in `repeatable` may be given more than once. */
  values?: Readonly<Record<string, string>>;
  repeatable?: readonly string[];
  /** How many arguments that are not flags the command takes at least (and whether it takes more). */
  positionals?: { min: number; more: boolean };
}

/** A command line as a lean path reads it: the global flags, the command's own, and its other arguments. */
export interface LeanArgs {
  json: boolean;
  project?: string;
  daemon?: boolean;
  switches: Set<string>;
  values: Map<string, string[]>;
  positionals: string[];
}

const GLOBAL_SWITCHES: Readonly<Record<string, string>> = {
  '--json': 'json',
  '--daemon': 'daemon',
  '--no-daemon': 'no-daemon',
};
const GLOBAL_VALUES: Readonly<Record<string, string>> = { '-C': 'project', '--project': 'project' };

/**
 * Reads a command's arguments for a lean path (`packer status`, `packer set … --yes`), or undefined for anything
 * it does not take as oclif would: an unknown flag, a value that looks like a flag, a flag given twice, `--`. Then
 * the command goes through oclif, which parses, explains and refuses as usual; this parser never reports an error.
 */
export function parseLeanArgs(args: readonly string[], spec: LeanFlagSpec = {}): LeanArgs | undefined {
  const parsed: LeanArgs = { json: false, switches: new Set(), values: new Map(), positionals: [] };
  const valueNames = { ...GLOBAL_VALUES, ...spec.values };
  const switchNames = { ...GLOBAL_SWITCHES, ...spec.switches };
  const given = new Set<string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith('-')) {
      parsed.positionals.push(arg);
      continue;
    }
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const spelling = equals > 0 ? arg.slice(0, equals) : arg;
    const switchName = Object.hasOwn(switchNames, spelling) ? switchNames[spelling]! : undefined;
    const valueName = Object.hasOwn(valueNames, spelling) ? valueNames[spelling]! : undefined;
    if (switchName !== undefined && equals < 0) {
      if (given.has(switchName)) return undefined;
      given.add(switchName);
      if (switchName === 'json') parsed.json = true;
      else if (switchName === 'daemon' || switchName === 'no-daemon') {
        if (parsed.daemon !== undefined) return undefined;
        parsed.daemon = switchName === 'daemon';
      } else parsed.switches.add(switchName);
      continue;
    }
    if (valueName === undefined) return undefined;
    const value = equals > 0 ? arg.slice(equals + 1) : args[++index];
    if (value === undefined || (equals < 0 && value.startsWith('-'))) return undefined;
    if (given.has(valueName) && !spec.repeatable?.includes(valueName)) return undefined;
    given.add(valueName);
    if (valueName === 'project') parsed.project = value;
    else parsed.values.set(valueName, [...(parsed.values.get(valueName) ?? []), value]);
  }
  const positionals = spec.positionals ?? { min: 0, more: false };
  if (parsed.positionals.length < positionals.min) return undefined;
  if (!positionals.more && parsed.positionals.length > positionals.min) return undefined;
  // JSON on a terminal is colourised by oclif; keep that path for people and the lean one for scripts. oclif also
  // takes PACKER_CONTENT_TYPE=json for --json: left to it.
  if (parsed.json && process.stdout.isTTY) return undefined;
  if (process.env.PACKER_CONTENT_TYPE !== undefined) return undefined;
  return parsed;
}
