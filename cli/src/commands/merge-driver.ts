// Why this command reads and writes registry text, the one place in the CLI that does (the boundary test allows
// exactly this file): git runs a merge driver as a program on three temporary files (%O %A %B), outside any
// daemon, in the middle of a merge where the daemon may not be running, may be watching another branch's state,
// or may be reading the half-merged work tree. Asking a daemon would be wrong, and there is nothing else to ask.
// So the packer's own code runs in this process: the command only moves bytes between git's files and
// `mergeRegistryTexts` from @packer/core, which parses with the reader, merges by id, validates its result with
// the reader and lays out the text (conflict markers included). Every decision is the core's; this file makes none.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Args, Command } from '@oclif/core';
import { terminalText } from '../render/terminal-text.js';

export default class MergeDriver extends Command {
  static override description =
    'Merge three versions of the registry by asset id (git runs this as the merge driver that `packer git install` sets up).';
  static override examples = ['git config merge.packer-registry.driver "packer merge-driver %O %A %B %P"'];
  static override args = {
    base: Args.string({
      description: "The common ancestor's registry (git's %O; empty when both sides added the file).",
      required: true,
    }),
    ours: Args.string({ description: "Our registry (git's %A); the merge result is written here.", required: true }),
    theirs: Args.string({ description: "Their registry (git's %B).", required: true }),
    pathname: Args.string({
      description: "The registry's path in the work tree (git's %P), for messages and path checks.",
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(MergeDriver);
    // Loaded here, not at the top: the command table imports every command at start-up, and only this one needs the
    // core.
    const { mergeRegistryTexts, REGISTRY_FILE } = await import('@packer/core');
    const read = (file: string): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        return this.error(`Cannot read ${terminalText(file)}: ${(error as Error).message}`, { exit: 2 });
      }
    };
    const file = args.pathname ?? REGISTRY_FILE;
    // git runs the driver at the top of the work tree and %P is relative to it; the project is the registry's folder.
    const projectRoot = path.dirname(path.resolve(file));
    const result = mergeRegistryTexts(read(args.base), read(args.ours), read(args.theirs), { file, projectRoot });
    writeFileSync(args.ours, result.text);

    const say = (line: string): void => this.logToStderr(terminalText(line));
    for (const warning of result.warnings) say(`packer merge-driver: ${warning.message}`);
    // One say per line: terminalText escapes a newline inside one (it printed a literal \n before the fix).
    for (const item of result.diagnostics) {
      say(`packer merge-driver: ${item.code}: ${item.message}`);
      if (item.hint) say(`  Fix: ${item.hint}`);
    }
    if (result.unreadable) {
      say(`packer merge-driver: cannot merge ${file} by asset id: ${result.unreadable.error.message}`);
      say('  Left both versions in one conflict block; pick one, fix it, then run `packer check`.');
      this.exit(1);
    }
    if (!result.clean) {
      say(`packer merge-driver: ${result.conflicts.length} conflicting asset(s) in ${file}; everything else merged:`);
      for (const conflict of result.conflicts) {
        say(`  ${conflict.message}`);
        if (conflict.hint) say(`    ${conflict.hint}`);
      }
      say(
        '  Fix: in each <<<<<<< … >>>>>>> block keep one side (a line, or nothing where a side removed the asset), delete the marker lines, then run `packer check`.',
      );
      this.exit(1);
    }
  }
}
