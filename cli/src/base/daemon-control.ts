import { connectToDaemon, isDaemonAlive } from '@packer/client';
import { PackerError } from '@packer/core/contract/runtime';

/** Asks a running daemon to shut down and waits until its process has exited. */
export async function stopDaemonFor(
  projectRoot: string,
  timeoutMs = 30_000,
): Promise<{ stopped: boolean; pid?: number }> {
  let connected;
  try {
    connected = await connectToDaemon(projectRoot, { client: 'cli:daemon stop', autoStart: false });
  } catch (error) {
    if (error instanceof PackerError && error.code === 'NOT_READY') return { stopped: false };
    throw error;
  }
  const { pid } = connected.hello;
  const closed = new Promise<void>((resolve) => connected.connection.onClose(() => resolve()));
  await connected.connection.call('daemon.shutdown', { reason: 'packer daemon stop' });
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
