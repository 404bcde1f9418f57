import {
  DiagnosticCodes,
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticSubject,
} from '../contract/diagnostics.js';

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

/**
 * One diagnostic for one problem that involves several assets or paths: the first subject fills `assetId`/`path`
 * (what older clients read), and `subjects` lists them all when there is more than one.
 */
export function diagnosticAbout(
  code: DiagnosticCode,
  message: string,
  subjects: readonly DiagnosticSubject[],
  hint?: string,
): Diagnostic {
  const out = diagnostic(code, message, subjects[0] ?? {}, hint);
  if (subjects.length > 1) out.subjects = subjects.map((subject) => ({ ...subject }));
  return out;
}
