import type { MethodResult } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import { formatBytes, formatCount, formatDuration, plural } from '../render/format.js';
import { terminalText } from '../render/terminal-text.js';
import { healthWarningLines } from './health-warnings.js';
import { DIAGNOSTICS_LISTED_PER_KIND } from '@packer/core/contract/runtime';

export type StatusResult = {
  summary: MethodResult<'snapshot.summary'>;
  daemon: MethodResult<'daemon.health'> & { inProcess: boolean };
};

/** What `packer status` shows: the packer's summary (a synced read) and the daemon's health, as answered. */
export async function collectStatus(client: DaemonClient): Promise<StatusResult> {
  const [summary, health] = await Promise.all([
    client.call('snapshot.summary', { sync: true }),
    client.call('daemon.health', {}),
  ]);
  return { summary, daemon: { ...health, inProcess: client.inProcess } };
}

/** The human form of a status answer. */
export function renderStatus({ summary, daemon }: StatusResult): string {
  const s = summary.summary;
  const kinds = Object.entries(s.byKind)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  // While the registry cannot be read the packer says its counts are unknown: never print them as zeros.
  const unknown = s.registryUnreadable;
  const lines = [
    `${summary.projectName}  revision ${summary.revision}  registry ${summary.registryState}`,
    ...(unknown
      ? [
          `assets: unknown (the registry cannot be read: ${unknown.reason})`,
          'on disk: unknown until the registry can be read (details: packer check)',
        ]
      : [
          `assets: ${s.assets}${kinds ? ` (${kinds})` : ''}, ${formatBytes(s.totalBytes)}`,
          `on disk: ${s.byStatus.present ?? 0} present, ${s.missing} missing; ${plural(s.untracked, 'untracked file')}; ${plural(s.divergence, 'divergence')}`,
        ]),
    `diagnostics: ${plural(s.blockers, 'blocker')}, ${plural(s.warnings, 'warning')}, ${infoCount(s)}${s.blockers + s.warnings > 0 ? '  (details: packer check)' : ''}`,
  ];
  if (!unknown && s.divergence > 0) lines.push('divergence: run `packer reconcile` to review what the packer proposes');
  lines.push(
    daemon.inProcess
      ? 'daemon: not used (in-process run)'
      : `daemon: pid ${daemon.pid}, up ${formatDuration(daemon.uptimeMs)}, watcher ${daemon.watcher.backend} ${daemon.watcher.state}, lane depth ${daemon.laneDepth}`,
  );
  if (summary.lastBuilds.length === 0) lines.push('builds: none yet');
  for (const build of summary.lastBuilds) {
    lines.push(
      `build ${build.pack}: ${build.digest.slice(0, 12)}  ${plural(build.entries, 'entry', 'entries')}  ${formatBytes(build.bytes)}  revision ${build.revision}  at ${build.builtAt}`,
    );
  }
  // Every line is one line by construction; what it quotes (project, kinds, packs) is escaped as a whole.
  return [...lines.map(terminalText), ...healthWarningLines(daemon)].join('\n');
}

/**
 * The info count, honest at any size: the snapshot lists untracked files as info diagnostics only up to a limit (then
 * one more that counts the rest), so at 100,000 untracked files `summary.infos` is 1,001. The untracked files are
 * said once, as files, and only the other infos are counted as infos.
 */
function infoCount(s: MethodResult<'snapshot.summary'>['summary']): string {
  // Files that are a missing asset's likely new path are relink candidates, not untracked infos.
  const untracked = Math.max(0, s.divergence - s.missing);
  const listed = Math.min(untracked, DIAGNOSTICS_LISTED_PER_KIND) + (untracked > DIAGNOSTICS_LISTED_PER_KIND ? 1 : 0);
  const others = Math.max(0, s.infos - listed);
  if (untracked === 0) return `${formatCount(s.infos)} info`;
  return `${formatCount(others)} info besides the ${plural(untracked, 'untracked file')}`;
}
