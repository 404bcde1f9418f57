/** Flags every project command takes; with `-C`/`--project` taking a value. */
const VALUE_FLAGS = new Set(['-C', '--project']);
const SWITCHES = new Set(['--daemon', '--no-daemon', '--json']);

/**
 * Lets the global flags come before the command, as with git (`packer -C game add assets/x`,
 * `packer --no-daemon show a_…`): oclif reads the first word as the command id, so leading global flags are moved
 * after the command's own arguments (before a `--`, which ends the flags). Anything else is left untouched.
 */
export function commandLine(argv: readonly string[]): string[] {
  const leading: string[] = [];
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index]!;
    if (VALUE_FLAGS.has(arg) && index + 1 < argv.length) {
      leading.push(arg, argv[index + 1]!);
      index += 2;
    } else if (SWITCHES.has(arg) || arg.startsWith('--project=') || (arg.startsWith('-C') && arg.length > 2)) {
      leading.push(arg);
      index += 1;
    } else break;
  }
  const rest = argv.slice(index);
  // Only a command can take them; `packer -C game` alone (or `packer -C game --help`) stays as typed.
  if (leading.length === 0 || rest.length === 0 || rest[0]!.startsWith('-')) return [...argv];
  const end = rest.indexOf('--');
  return end === -1 ? [...rest, ...leading] : [...rest.slice(0, end), ...leading, ...rest.slice(end)];
}
