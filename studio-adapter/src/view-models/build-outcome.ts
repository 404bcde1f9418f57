import type { BuildCounts, BuildReport, PackReport } from '@packer/core/contract';
import type { ActivityRow } from './activity-feed.js';
import { diagnosticRows, type DiagnosticRow } from './diagnostic-row.js';

/** How a finished build went, translated from the BuildReport its `completed` event carried. */
export interface BuildOutcome {
  /** The snapshot revision the build pinned. */
  revision: number;
  /** One row per pack, in the packer's order, each with the packer's status and digest. */
  packs: Pick<PackReport, 'pack' | 'status' | 'file' | 'digest' | 'entries' | 'bytes' | 'cacheHits'>[];
  counts: BuildCounts;
  durationMs: number;
  failures: DiagnosticRow[];
  warnings: DiagnosticRow[];
}

/**
 * The report of a build row, once its terminal `completed` event arrived (the `result` the contract documents
 * for `build.start`); undefined for any other row or before the terminal event.
 */
export function buildOutcome(row: ActivityRow): BuildOutcome | undefined {
  if (row.kind !== 'build' || row.outcome?.type !== 'completed') return undefined;
  const report = row.outcome.result as BuildReport;
  return {
    revision: report.revision,
    packs: report.packs.map(({ pack, status, file, digest, entries, bytes, cacheHits }) => ({
      pack,
      status,
      file,
      ...(digest !== undefined ? { digest } : {}),
      entries,
      bytes,
      cacheHits,
    })),
    counts: report.counts,
    durationMs: report.durationMs,
    failures: diagnosticRows(report.failures, `build:${row.operationId}:failure`),
    warnings: diagnosticRows(report.warnings, `build:${row.operationId}:warning`),
  };
}
