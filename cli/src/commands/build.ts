import { Flags } from '@oclif/core';
import type { BuildReport } from '@packer/core/contract';
import { PackerCommand, reportPackerError } from '../base/packer-command.js';
import { followOperation, progressMode } from '../progress/follow-operation.js';
import { remoteLine } from '../progress/operation-state.js';
import { formatBytes, formatDuration, plural, table } from '../render/format.js';
import { renderDiagnostic } from '../render/render-diagnostic.js';

export default class Build extends PackerCommand<typeof Build> {
  static override description =
    'Build packs from the current snapshot, with live progress; --json prints the build report (live events: `packer events --follow --json`). Exits 1 when the build fails or is cancelled (Ctrl-C asks the packer to cancel it).';
  static override examples = [
    '<%= config.bin %> build',
    '<%= config.bin %> build --pack sprites --pack audio',
    '<%= config.bin %> build --json > build-report.json',
  ];
  static override flags = {
    pack: Flags.string({ char: 'p', description: 'Only this pack (repeatable).', multiple: true }),
  };

  async run(): Promise<BuildReport> {
    const client = await this.client();
    const json = this.jsonEnabled();
    const packs = this.flags.pack;
    const state = await followOperation(
      client,
      () => client.call('build.start', packs ? { packs } : {}),
      progressMode(json),
    );
    // The outcome comes from the build's terminal event, typed by its type; the error's data by its code.
    const outcome = state.operation.outcome;
    if (outcome?.type === 'completed' && outcome.result) {
      // A completed build's result is its report (the `completed` payload carries any operation's result).
      const report = outcome.result as BuildReport;
      if (!json) this.log(renderReport(report));
      return report;
    }
    if (outcome?.type === 'failed') {
      const { error } = outcome;
      if (!json && error.code === 'BLOCKED') {
        // A report already lists its failures, which are the blockers: print each problem once, and end with the
        // packer's code and how many there were rather than the first of them a third time.
        if (error.data.report) this.log(renderReport(error.data.report));
        else for (const blocker of error.data.blockers) this.log(renderDiagnostic(blocker));
        const count = plural(error.data.blockers.length, 'blocker');
        reportPackerError(this, { code: error.code, message: `The build failed: ${count}, listed above.` }, () => {});
      }
      reportPackerError(this, error, (value) => this.logJson(value));
    }
    // Cancelled: the terminal event says so and why, and the progress view has printed that (`cancelled: <reason>`)
    // where it prints every outcome. The command adds nothing of its own (no second line, no code the packer did
    // not give) and exits 1: the build did not do what was asked.
    if (json)
      this.logJson({
        operationId: state.operationId,
        cancelled: { reason: outcome?.type === 'cancelled' ? outcome.reason : '' },
      });
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
    `revision ${report.revision}: ${report.assets} assets (${formatBytes(report.inputBytes)}) — processed ${report.counts.processed}, cached ${report.counts.cached}${report.counts.passThrough ? `, pass-through ${report.counts.passThrough}` : ''}, failed ${report.counts.failed} in ${formatDuration(report.durationMs)}`,
  ];
  if (report.remote) lines.push(`${remoteLine(report.remote)} in ${formatDuration(report.remote.timeMs)} of requests`);
  for (const failure of report.failures) lines.push(renderDiagnostic(failure));
  for (const warning of report.warnings) lines.push(renderDiagnostic(warning));
  return lines.join('\n');
}
