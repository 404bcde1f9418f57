import { Flags } from '@oclif/core';
import type { BuildReport, Diagnostic } from '@packer/core/contract';
import { PackerCommand, reportPackerError, type PackerErrorShape } from '../base/packer-command.js';
import { followOperation, progressMode } from '../progress/follow-operation.js';
import { formatBytes, formatDuration, plural, table } from '../render/format.js';
import { renderDiagnostic } from '../render/render-diagnostic.js';
import { terminalText } from '../render/terminal-text.js';

/** What a build's terminal event carries: the report when it completed, the packer's error when it failed. */
interface BuildTerminalPayload {
  result?: BuildReport;
  error?: PackerErrorShape;
  reason?: string;
}

export default class Build extends PackerCommand<typeof Build> {
  static override description = 'Build packs from the current snapshot, with live progress; --json prints the build report (live events: `packer events --follow --json`).';
  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build --pack sprites --pack audio', '<%= config.bin %> build --json > build-report.json'];
  static override flags = { pack: Flags.string({ char: 'p', description: 'Only this pack (repeatable).', multiple: true }) };

  async run(): Promise<BuildReport> {
    const client = await this.client();
    const json = this.jsonEnabled();
    const packs = this.flags.pack;
    const state = await followOperation(client, () => client.call('build.start', packs ? { packs } : {}), progressMode(json));
    const payload = state.terminalPayload as BuildTerminalPayload | undefined;
    if (state.phase === 'completed' && payload?.result) {
      if (!json) this.log(renderReport(payload.result));
      return payload.result;
    }
    const error = payload?.error;
    if (error) {
      if (!json) {
        const report = error.data?.report as BuildReport | undefined;
        if (report) this.log(renderReport(report));
        for (const blocker of (error.data?.blockers as Diagnostic[] | undefined) ?? []) this.log(renderDiagnostic(blocker));
      }
      reportPackerError(this, error, (value) => this.logJson(value));
    }
    // Cancelled: the terminal event says so and why; there is no error to report but that.
    if (json) this.logJson({ operationId: state.operationId, cancelled: { reason: payload?.reason ?? '' } });
    else this.logToStderr(terminalText(state.finalMessage ?? 'The build did not complete.'));
    this.exit(1);
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
