import { connectToDaemon, isDaemonAlive } from '@packer/client';
import { PackerError } from '@packer/core/contract/runtime';

/**
 * Asks a running daemon to shut down and waits until its process has exited. `command` is what asked (the reason an
 * operation it cancels gives: `daemon stopping: packer daemon restart`).
 */
export async function stopDaemonFor(
  projectRoot: string,
  command: 'packer daemon stop' | 'packer daemon restart' = 'packer daemon stop',
  timeoutMs = 30_000,
): Promise<{ stopped: boolean; pid?: number }> {
  let connected;
  try {
    connected = await connectToDaemon(projectRoot, {
      client: `cli:${command.slice('packer '.length)}`,
      autoStart: false,
      // A daemon still opening its project is stopped too (its stop waits for the open to finish).
      ready: false,
    });
  } catch (error) {
    if (error instanceof PackerError && error.code === 'NOT_READY') return { stopped: false };
    throw error;
  }
  const { pid } = connected.hello;
  const closed = new Promise<void>((resolve) => connected.connection.onClose(() => resolve()));
  await connected.connection.call('daemon.shutdown', { reason: command });
  await closed;
  const deadline = Date.now() + timeoutMs;
  // The socket closes before the process exits; wait for the exit itself.
  while (isDaemonAlive(pid)) {
    if (Date.now() > deadline)
      throw new PackerError('NOT_READY', `The daemon (pid ${pid}) did not stop within ${timeoutMs / 1000} s.`, { pid });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { stopped: true, pid };
}
