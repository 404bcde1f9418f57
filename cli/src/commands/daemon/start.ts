import { Flags } from '@oclif/core';
import { ensureDaemon } from '@packer/client';
import { PackerCommand } from '../../base/packer-command.js';
import { terminalText } from '../../render/terminal-text.js';

export default class DaemonStart extends PackerCommand<typeof DaemonStart> {
  static override description = "Start the project's daemon in the background (commands also start it on demand).";
  static override examples = [
    '<%= config.bin %> daemon start',
    '<%= config.bin %> daemon start -C path/to/game --json',
  ];
  static override flags = {
    ws: Flags.boolean({
      description: 'Also listen on a loopback WebSocket for a browser-hosted Studio.',
      default: false,
    }),
    wait: Flags.boolean({
      description:
        'Return once the daemon is ready (its project open), not as soon as it is live; other commands wait for that themselves.',
      default: false,
    }),
  };

  async run(): Promise<{ pid: number; projectRoot: string; started: boolean; ready: boolean }> {
    const root = this.projectRoot();
    const env = this.flags.ws ? { ...process.env, PACKER_WS: '1' } : process.env;
    // Live is enough unless --wait: a warm open of a big project takes seconds, and every request waits for it anyway.
    const { started, hello, ready } = await ensureDaemon(root, {
      client: 'cli:daemon start',
      env,
      wait: this.flags.wait,
    });
    if (!started && this.flags.ws)
      this.warn(
        'The daemon was already running and keeps its settings; for the WebSocket listener run `packer daemon stop`, then `packer daemon start --ws`.',
      );
    if (!this.jsonEnabled()) {
      this.log(
        terminalText(
          `packer daemon ${started ? 'started' : 'already running'} for ${hello.projectRoot}: pid ${hello.pid}, protocol ${hello.protocolVersion}${ready ? '' : '; opening the project (commands wait until it is ready)'}.`,
        ),
      );
    }
    return { pid: hello.pid, projectRoot: hello.projectRoot, started, ready };
  }
}
