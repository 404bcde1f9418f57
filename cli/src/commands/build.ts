import { Flags } from '@oclif/core';
import { PackerError } from '@packer/core/contract/runtime';
import type { BuildReport } from '@packer/core/contract';
import { PackerCommand } from '../base/packer-command.js';
import { followOperation, progressMode } from '../progress/follow-operation.js';
import { formatBytes, formatDuration, plural, table } from '../render/format.js';
import { renderDiagnostic } from '../render/render-diagnostic.js';

export default class Build extends PackerCommand<typeof Build> {
  static override description = 'Build packs from the current snapshot, with live progress; --json streams the events as NDJSON.';
  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build --pack sprites --pack audio', '<%= config.bin %> build --json > build-events.ndjson'];
  static override flags = { pack: Flags.string({ char: 'p', description: 'Only this pack (repeatable).', multiple: true }) };

  async run(): Promise<BuildReport | undefined> {
    const client = await this.client();
    const mode = progressMode(this.jsonEnabled());
    const packs = this.flags.pack;
    const state = await followOperation(client, () => client.call('build.start', packs ? { packs } : {}), mode);
    const payload = state.terminalPayload as { result?: BuildReport; error?: { code: string; message: string; data?: Record<string, unknown> } } | undefined;
    if (state.phase !== 'completed') {
      if (mode === 'json') this.exit(1);
      const error = payload?.error;
      const report = error?.data?.report as BuildReport | undefined;
      if (report) this.log(renderReport(report));
      for (const blocker of (error?.data?.blockers as Parameters<typeof renderDiagnostic>[0][] | undefined) ?? []) this.log(renderDiagnostic(blocker));
      throw new PackerError((error?.code as 'BLOCKED') ?? 'CANCELLED', error?.message ?? state.finalMessage ?? 'The build did not complete.', error?.data ?? {});
    }
    const report = payload!.result!;
    if (mode === 'json') return undefined;
    this.log(renderReport(report));
    return report;
  }
}

function renderReport(report: BuildReport): string {
  const rows = report.packs.map((pack) => [
    pack.pack,
    pack.status,
    pack.digest ? pack.digest.slice(0, 12) : '-',
    plural(pack.entries, 'entry', 'entries'),
    formatBytes(pack.bytes),
    `${pack.cacheHits} cached`,
    formatDuration(pack.durationMs),
  ]);
  const lines = [
    table(rows),
    `revision ${report.revision}: ${report.assets} assets (${formatBytes(report.inputBytes)}) — processed ${report.counts.processed}, cached ${report.counts.cached}, failed ${report.counts.failed} in ${formatDuration(report.durationMs)}`,
  ];
  for (const failure of report.failures) lines.push(renderDiagnostic(failure));
  for (const warning of report.warnings) lines.push(renderDiagnostic(warning));
  return lines.join('\n');
}
