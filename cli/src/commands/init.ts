import path from 'node:path';
import { Args, Command, Flags } from '@oclif/core';
import { PackerError } from '@packer/core/contract/runtime';
import { initProject, type InitOptions, type InitResult } from '@packer/client';
import { reportPackerError } from '../base/packer-command.js';
import { terminalText } from '../render/terminal-text.js';
import { describeInstall, installRegistryMergeDriver, type MergeDriverInstall } from './git/install.js';

const ENGINE_CHOICES = ['godot', 'unity', 'generic'] as const;

export default class Init extends Command {
  static override description =
    'Adopt a folder as a packer project: detect the engine (Godot, Unity, generic), write packer.json with its asset roots, ignored folders, kinds and sidecars, an empty registry, and git-ignore .packer/ and the build folder.';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init my-game --name "My Game"',
    '<%= config.bin %> init --engine generic --root art --root audio',
    '<%= config.bin %> init --kind level=.ldtk --kind video=',
  ];
  static override enableJsonFlag = true;
  static override args = { dir: Args.string({ description: 'Project folder (created if missing).', default: '.' }) };
  static override flags = {
    name: Flags.string({ description: 'Project name (default: the folder name).' }),
    engine: Flags.string({
      description: 'Adopt for this engine instead of the detected one.',
      options: [...ENGINE_CHOICES],
    }),
    root: Flags.string({
      description: 'Asset root instead of the engine\'s ("." is the project folder; repeatable).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    kind: Flags.string({
      description: 'Kind and its extensions, NAME=.ext,.ext (repeatable; NAME= drops the kind).',
      multiple: true,
      multipleNonGreedy: true,
    }),
    nested: Flags.boolean({ description: 'Create the project even inside another packer project.', default: false }),
    git: Flags.boolean({
      description:
        'Also `git init` (when outside a repository) and install the registry merge driver, as `packer git install` does.',
      default: false,
    }),
    project: Flags.string({
      char: 'C',
      description: 'Run as if started in this folder (like git -C): [dir] is relative to it.',
      helpGroup: 'GLOBAL',
    }),
  };

  async run(): Promise<InitResult & { git?: MergeDriverInstall }> {
    const { args, flags } = await this.parse(Init);
    const options: InitOptions = { nested: flags.nested };
    if (flags.name) options.name = flags.name;
    if (flags.engine) options.engine = flags.engine as InitOptions['engine'];
    if (flags.root) options.roots = flags.root;
    if (flags.kind) {
      const kinds = parseKinds(flags.kind);
      // A malformed flag is a usage error of this command line (exit 2), not a packer outcome.
      if (typeof kinds === 'string') this.error(kinds, { exit: 2 });
      options.kinds = kinds;
    }
    const result = await initProject(path.resolve(flags.project ?? '.', args.dir), options);
    for (const line of describeInit(result)) this.log(terminalText(line));
    if (!flags.git) return result;
    const git = await installRegistryMergeDriver(result.root, this.config.root, { initRepository: true });
    for (const line of describeInstall(git)) this.log(terminalText(line));
    return { ...result, git };
  }

  // Not a project command (there is no project yet), but its errors read like theirs, --json included.
  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof PackerError) reportPackerError(this, error, (json) => this.logJson(json));
    return super.catch(error);
  }
}

/** The `--kind NAME=.ext,.ext` flags as a map, or the usage message for the first malformed one. */
function parseKinds(values: readonly string[]): Record<string, string[]> | string {
  const kinds: Record<string, string[]> = {};
  for (const value of values) {
    const match = /^([^=]+)=(.*)$/.exec(value);
    if (!match)
      return `Expected --kind as NAME=.ext,.ext (e.g. level=.ldtk), got "${value}". Write NAME= to drop a kind.`;
    kinds[match[1]!.trim()] = match[2]!
      .split(',')
      .map((extension) => extension.trim())
      .filter(Boolean);
  }
  return kinds;
}

/** What init decided, in the order a user checks it. */
function describeInit(result: InitResult): string[] {
  const kinds = Object.entries(result.kinds).map(([kind, extensions]) => `${kind} (${extensions.join(' ')})`);
  return [
    `Created a ${result.engine} packer project in ${result.root} (engine: ${result.detectedBy}).`,
    `  asset roots: ${result.assetRoots.join(', ')}`,
    `  ignored:     ${result.ignore.join(', ')}, and what .gitignore files ignore`,
    `  kinds:       ${kinds.join(', ')}; anything else is "other"`,
    ...(result.sidecars.length > 0 ? [`  sidecars:    ${result.sidecars.join(', ')} belong to their asset`] : []),
    `  build folder: ${result.buildDir}/`,
    ...(result.registryShards > 1
      ? [`  registry:    packer.registry/ in ${result.registryShards} shards (10,000+ files found; registry.shards)`]
      : []),
    `  wrote:       ${result.created.join(', ')}${result.gitignored.length > 0 ? ` (.gitignore += ${result.gitignored.join(' ')})` : ''}`,
    `Next: \`packer status\` to see the untracked files, then \`packer add <folder>\`. packer.json is described in docs/config.md.`,
  ];
}
