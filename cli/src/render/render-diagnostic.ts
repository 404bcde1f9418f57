import type { Diagnostic } from '@packer/core/contract';
import { terminalText } from './terminal-text.js';

const MARK: Record<Diagnostic['severity'], string> = { blocker: '✖', warning: '!', info: '·' };

/** One diagnostic as the packer stated it: severity, code, message, hint. */
export function renderDiagnostic(diagnostic: Diagnostic): string {
  const hint = diagnostic.hint ? `\n      hint: ${terminalText(diagnostic.hint)}` : '';
  return `  ${MARK[diagnostic.severity]} ${diagnostic.severity.padEnd(7)} ${terminalText(diagnostic.code)}  ${terminalText(diagnostic.message)}${hint}`;
}
