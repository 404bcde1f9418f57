import { Args, Command, Flags } from '@oclif/core';
import { initProject, type InitResult } from '@packer/daemon/client';

export default class Init extends Command {
  static override description = 'Create packer.json, an empty registry and an assets folder; git-ignore .packer/.';
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init my-game --name "My Game"'];
  static override enableJsonFlag = true;
  static override args = { dir: Args.string({ description: 'Project folder (created if missing).', default: '.' }) };
  static override flags = { name: Flags.string({ description: 'Project name (default: the folder name).' }) };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(Init);
    let result: InitResult;
    try {
      result = await initProject(args.dir, flags.name ? { name: flags.name } : {});
    } catch (error) {
      const data = (error as { data?: { hint?: string } }).data;
      this.error(`${(error as Error).message}${data?.hint ? `\nHint: ${data.hint}` : ''}`, { code: (error as { code?: string }).code ?? 'INVALID_CONFIG', exit: 1 });
    }
    this.log(`Created a packer project in ${result.root}: ${result.created.join(', ')}.`);
    this.log('Next: put files under assets/, then `packer add assets` and `packer status`.');
    return result;
  }
}
