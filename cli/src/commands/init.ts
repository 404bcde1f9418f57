import path from 'node:path';
import { Args, Command, Flags } from '@oclif/core';
import { PackerError } from '@packer/core/contract/runtime';
import { initProject, type InitResult } from '@packer/client';
import { reportPackerError } from '../base/packer-command.js';
import { terminalText } from '../render/terminal-text.js';

export default class Init extends Command {
  static override description = 'Create packer.json, an empty registry and an assets folder; git-ignore .packer/.';
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init my-game --name "My Game"'];
  static override enableJsonFlag = true;
  static override args = { dir: Args.string({ description: 'Project folder (created if missing).', default: '.' }) };
  static override flags = {
    name: Flags.string({ description: 'Project name (default: the folder name).' }),
    project: Flags.string({ char: 'C', description: 'Run as if started in this folder (like git -C): [dir] is relative to it.', helpGroup: 'GLOBAL' }),
  };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(Init);
    const result = await initProject(path.resolve(flags.project ?? '.', args.dir), flags.name ? { name: flags.name } : {});
    this.log(terminalText(`Created a packer project in ${result.root}: ${result.created.join(', ')}.`));
    this.log('Next: put files under assets/, then `packer add assets` and `packer status`.');
    return result;
  }

  // Not a project command (there is no project yet), but its errors read like theirs, --json included.
  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof PackerError) reportPackerError(this, error, (json) => this.logJson(json));
    return super.catch(error);
  }
}
