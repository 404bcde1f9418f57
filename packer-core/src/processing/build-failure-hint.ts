import { PackerError, toPackerError } from '../contract/errors.js';
import { ioAdvice } from '../mutations/apply-failure-hint.js';

/**
 * The error a build that failed on a system call is answered with: the IO_ERROR names the file (see
 * `withErrorPath`) and gets a hint, as a failed mutation does: what state the packs are in, and what to do about the
 * cause ("The disk is full: free some space, then retry."). Other errors, and one already hinted, pass unchanged.
 */
export function withBuildFailureHint(error: unknown): unknown {
  const packerError = toPackerError(error);
  if (packerError.code !== 'IO_ERROR' || packerError.data.hint !== undefined) return error;
  const io = packerError as PackerError<'IO_ERROR'>;
  const hint = `The build did not finish: the packs in place are still the ones their manifests name (a pack written half-way is removed; \`packer verify\` checks them). ${ioAdvice(io.data.errno)}`;
  return new PackerError('IO_ERROR', io.message, { ...io.data, hint }, { cause: io.cause ?? error });
}
