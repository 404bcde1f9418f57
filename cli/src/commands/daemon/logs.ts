import { existsSync, readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { projectFiles } from '@packer/client';
import { PackerCommand } from '../../base/packer-command.js';
import { terminalText } from '../../render/terminal-text.js';

export default class DaemonLogs extends PackerCommand<typeof DaemonLogs> {
  static override description = "Show the daemon's structured log (.packer/daemon.log), newest last.";
  static override examples = ['<%= config.bin %> daemon logs', '<%= config.bin %> daemon logs -n 100 --json'];
  static override flags = { lines: Flags.integer({ char: 'n', description: 'How many lines.', default: 40, min: 1 }) };

  async run(): Promise<{ file: string; entries: unknown[] }> {
    const file = projectFiles(this.projectRoot()).logFile;
    const lines = existsSync(file)
      ? readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-this.flags.lines)
      : [];
    const entries = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return { message: line };
      }
    });
    if (!this.jsonEnabled()) {
      if (entries.length === 0) this.log(terminalText(`No daemon log yet (${file}).`));
      for (const entry of entries) {
        const { time, level, message, pid, ...rest } = entry;
        this.log(
          terminalText(
            `${String(time ?? '').slice(0, 23)} ${String(level ?? '').padEnd(5)} [${String(pid ?? '')}] ${String(message ?? '')}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`,
          ),
        );
      }
    }
    return { file, entries };
  }
}
