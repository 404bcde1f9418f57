import { PackerError } from '@packer/core/contract/runtime';
import { socketSafetyProblem } from './socket-safety.js';

export { isPrivateFolder } from './socket-safety.js';

const HINT =
  'Use a folder only you can write: set XDG_RUNTIME_DIR (a per-user runtime folder, mode 0700) or PACKER_SOCKET_DIR to one, ' +
  'or remove the folder named here if nothing in it is yours.';

/** The error both ends raise for a socket or socket folder that another user could have planted. */
export function unsafeSocketError(message: string, data: Record<string, unknown>): PackerError {
  return new PackerError('UNSAFE_SOCKET', message, { ...data, hint: HINT });
}

/** Throws UNSAFE_SOCKET when the socket (or its shared folder) cannot be trusted; see `socketSafetyProblem`. */
export function assertSafeSocket(socketPath: string, shared: boolean, uid = process.getuid?.()): void {
  const problem = socketSafetyProblem(socketPath, shared, uid);
  if (problem) throw unsafeSocketError(problem.message, problem.data);
}
