import type { Diagnostic } from '@packer/core/contract';

const MARK: Record<Diagnostic['severity'], string> = { blocker: '✖', warning: '!', info: '·' };

/** One diagnostic as the packer stated it: severity, code, message, hint. */
export function renderDiagnostic(diagnostic: Diagnostic): string {
  const hint = diagnostic.hint ? `\n      hint: ${diagnostic.hint}` : '';
  return `  ${MARK[diagnostic.severity]} ${diagnostic.severity.padEnd(7)} ${diagnostic.code}  ${diagnostic.message}${hint}`;
}
