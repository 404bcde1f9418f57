import type { Diagnostic, DiagnosticSubject, Severity } from '@packer/core/contract';
import { subjectsOf } from '@packer/core/contract/runtime';

/** One diagnostic as a list row: the packer's fields unchanged, plus a key for list rendering. */
export interface DiagnosticRow {
  key: string;
  code: Diagnostic['code'];
  severity: Severity;
  message: string;
  hint?: string;
  /** The first subject (the packer's `assetId`/`path`). */
  assetId?: string;
  path?: string;
  /** Every asset or path the diagnostic involves (one for most; DUPLICATE_OUTPUT lists each asset): a view lists or
   * badges them all. */
  subjects: DiagnosticSubject[];
}

/** Translates diagnostics in the order the packer gave them. */
export function diagnosticRows(diagnostics: readonly Diagnostic[], keyPrefix = 'diagnostic'): DiagnosticRow[] {
  return diagnostics.map((diagnostic, index) => ({
    key: `${keyPrefix}:${index}:${diagnostic.code}:${diagnostic.assetId ?? diagnostic.path ?? ''}`,
    code: diagnostic.code,
    severity: diagnostic.severity,
    message: diagnostic.message,
    ...(diagnostic.hint !== undefined ? { hint: diagnostic.hint } : {}),
    ...(diagnostic.assetId !== undefined ? { assetId: diagnostic.assetId } : {}),
    ...(diagnostic.path !== undefined ? { path: diagnostic.path } : {}),
    subjects: subjectsOf(diagnostic),
  }));
}
