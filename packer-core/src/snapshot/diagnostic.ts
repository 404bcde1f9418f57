import { DiagnosticCodes, type Diagnostic, type DiagnosticCode } from '../contract/diagnostics.js';

/** Builds a diagnostic whose severity always comes from the one code table. */
export function diagnostic(
  code: DiagnosticCode,
  message: string,
  subject: { assetId?: string; path?: string } = {},
  hint?: string,
): Diagnostic {
  const out: Diagnostic = { code, severity: DiagnosticCodes[code], message };
  if (subject.assetId !== undefined) out.assetId = subject.assetId;
  if (subject.path !== undefined) out.path = subject.path;
  if (hint !== undefined) out.hint = hint;
  return out;
}
