import { Args } from '@oclif/core';
import type { MethodResult, VerifyResult } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { formatBytes } from '../render/format.js';
import { terminalText as t } from '../render/terminal-text.js';

/** Without a pack name: every configured pack, each as `packs.verify` answers it. */
export interface VerifyAllResult {
  ok: boolean;
  items: VerifyResult[];
}

export default class Verify extends PackerCommand<typeof Verify> {
  static override description =
    'Check packs against their header, table and manifest digests; reports the first bad entry. Without a pack name, every configured pack (one never built fails). Exit 1 when any fails.';

  static override examples = [
    '<%= config.bin %> verify',
    '<%= config.bin %> verify sprites',
    '<%= config.bin %> verify build/sprites.pack --json',
  ];
  static override args = {
    pack: Args.string({
      description: 'Pack name, or the path of a .pack file (default: every configured pack).',
      required: false,
    }),
  };

  async run(): Promise<MethodResult<'packs.verify'> | VerifyAllResult> {
    const client = await this.client();
    if (this.args.pack === undefined) {
      const { items: packs } = await client.call('packs.list', {});
      const items: VerifyResult[] = [];
      // One at a time: each reads its whole pack, and the daemon serves other clients meanwhile.
      for (const pack of packs) items.push(await client.call('packs.verify', { pack: pack.name }));
      const ok = items.every((item) => item.ok);
      if (this.jsonEnabled()) {
        if (!ok) {
          this.logJson({ ok, items });
          this.exit(1);
        }
        return { ok, items };
      }
      if (items.length === 0) this.log('No packs are configured in packer.json.');
      for (const item of items) this.report(item, `${item.pack}: `);
      if (items.length > 1) this.log(`${items.filter((item) => item.ok).length} of ${items.length} packs verified.`);
      if (!ok) this.exit(1);
      return { ok, items };
    }
    const pack = this.args.pack.endsWith('.pack') ? this.projectPath(this.args.pack) : this.args.pack;
    const result = await client.call('packs.verify', { pack });
    if (this.jsonEnabled()) {
      if (!result.ok) {
        this.logJson(result);
        this.exit(1);
      }
      return result;
    }
    this.report(result, '');
    if (!result.ok) this.exit(1);
    return result;
  }

  private report(result: VerifyResult, prefix: string): void {
    if (result.ok) {
      this.log(
        t(
          `${prefix}ok: ${result.file} — ${result.entries} entries, ${formatBytes(result.bytes)}, sha256 ${result.digest ?? '?'}`,
        ),
      );
      return;
    }
    const problem = result.problem!;
    const entry = problem.entry ? ` (entry ${problem.entry.index}: ${problem.entry.name}, ${problem.entry.id})` : '';
    this.log(t(`${prefix}FAILED: ${result.file}: ${problem.section}${entry}: ${problem.message}`));
    if (problem.expected || problem.actual)
      this.log(`  expected ${t(problem.expected ?? '?')}\n  actual   ${t(problem.actual ?? '?')}`);
  }
}
