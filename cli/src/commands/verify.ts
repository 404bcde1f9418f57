import { Args } from '@oclif/core';
import type { MethodResult } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { formatBytes } from '../render/format.js';
import { terminalText as t } from '../render/terminal-text.js';

export default class Verify extends PackerCommand<typeof Verify> {
  static override description = 'Check a pack against its header, table and manifest digests; reports the first bad entry. Exit 1 when it fails.';
  static override examples = ['<%= config.bin %> verify sprites', '<%= config.bin %> verify build/sprites.pack --json'];
  static override args = { pack: Args.string({ description: 'Pack name, or the path of a .pack file.', required: true }) };

  async run(): Promise<MethodResult<'packs.verify'>> {
    const client = await this.client();
    const pack = this.args.pack.endsWith('.pack') ? this.projectPath(this.args.pack) : this.args.pack;
    const result = await client.call('packs.verify', { pack });
    if (this.jsonEnabled()) {
      if (!result.ok) {
        this.logJson(result);
        this.exit(1);
      }
      return result;
    }
    if (result.ok) {
      this.log(t(`ok: ${result.file} — ${result.entries} entries, ${formatBytes(result.bytes)}, sha256 ${result.digest ?? '?'}`));
      return result;
    }
    const problem = result.problem!;
    const entry = problem.entry ? ` (entry ${problem.entry.index}: ${problem.entry.name}, ${problem.entry.id})` : '';
    this.log(t(`FAILED: ${result.file}: ${problem.section}${entry}: ${problem.message}`));
    if (problem.expected || problem.actual) this.log(`  expected ${t(problem.expected ?? '?')}\n  actual   ${t(problem.actual ?? '?')}`);
    this.exit(1);
  }
}
