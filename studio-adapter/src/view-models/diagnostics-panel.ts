import type { MethodResult, Severity } from '@packer/core/contract';
import { diagnosticRows, type DiagnosticRow } from './diagnostic-row.js';

export interface DiagnosticsGroup {
  severity: Severity;
  /** The packer's count of this severity in the snapshot (the list may be filtered; this never is). */
  total: number;
  rows: DiagnosticRow[];
}

/** The diagnostics panel, translated from `diagnostics.list`. */
export interface DiagnosticsPanel {
  revision: number;
  /** Always three groups, in the order blocker, warning, info. */
  groups: DiagnosticsGroup[];
}

const SEVERITIES: readonly Severity[] = ['blocker', 'warning', 'info'];

/** Groups the packer's diagnostics by the severity the packer gave each; counts are the packer's. */
export function diagnosticsPanel(result: MethodResult<'diagnostics.list'>): DiagnosticsPanel {
  const totals: Record<Severity, number> = { blocker: result.blockers, warning: result.warnings, info: result.infos };
  const rows = diagnosticRows(result.items, `diagnostics:${result.revision}`);
  return {
    revision: result.revision,
    groups: SEVERITIES.map((severity) => ({
      severity,
      total: totals[severity],
      rows: rows.filter((row) => row.severity === severity),
    })),
  };
}
