import type { ErrorCode, PackerError } from '@packer/core/contract';
import { terminalText } from '../render/terminal-text.js';

// No oclif here: the lean path of `packer set` (src/fast-path.ts) reports errors with the same words and codes.

/** Exit code for failures (usage errors exit 2 through oclif's exitCodes setting). */
export const EXIT_FAILURE = 1;

/** Exit code for a command that was used wrongly rather than one that failed: like oclif's usage errors. */
export const EXIT_USAGE = 2;

/** Errors that say how the command was called, not what the packer found: they exit like usage errors. */
const USAGE_ERRORS: ReadonlySet<ErrorCode> = new Set(['CONFIRMATION_REQUIRED', 'INVALID_PARAMS']);

/** An error as the packer sends it: a PackerError, or the `error` of a `failed` event (its `PackerErrorJSON`). */
export type PackerErrorShape = Pick<PackerError, 'code' | 'message'> & { data?: PackerError['data'] | undefined };

/** What a command prints for a packer error: the exit code, the `--json` document, and the text for people. */
export interface PackerErrorReport {
  exit: number;
  json: { error: { code: string; message: string; data: object } };
  /** The message and hint, escaped for the terminal (the stack only with DEBUG). */
  text: string;
}

/** The report of a packer error, as the packer worded it (see reportPackerError; the lean path prints the same). */
export function packerErrorReport(error: PackerErrorShape): PackerErrorReport {
  const data = error.data ?? {};
  const { hint } = data;
  const stack = error instanceof Error ? error.stack : undefined;
  const detail = process.env.DEBUG && stack ? `\n${stack}` : '';
  return {
    exit: USAGE_ERRORS.has(error.code) ? EXIT_USAGE : EXIT_FAILURE,
    json: { error: { code: error.code, message: error.message, data } },
    text: `${terminalText(error.message)}${hint ? `\nHint: ${terminalText(hint)}` : ''}${detail}`,
  };
}
