import path from 'node:path';
import { toPackerError } from '@packer/core/contract';
import { Daemon } from '../daemon.js';
import type { DaemonHooks } from '../daemon-hooks.js';
import { settleInOneGc } from '../process/memory-reducer.js';
import { relaxHeapGrowthDuringOpen } from '../process/open-heap-growth.js';

/**
 * `packer-daemon --project <dir> [--ws]`: runs one project's daemon in the foreground. Clients start it detached with
 * an IPC channel and learn through it whether start-up worked (a bad packer.json is reported to them, by name).
 * The production bin passes no hooks; the test bin passes test hooks.
 */
export async function runDaemonProcess(hooks?: DaemonHooks): Promise<void> {
  const args = process.argv.slice(2);
  const index = args.indexOf('--project');
  const projectRoot = path.resolve(index >= 0 && args[index + 1] ? args[index + 1]! : process.cwd());
  const idleArg = args.indexOf('--idle-timeout-ms');
  let live = false;
  const daemon = new Daemon({
    projectRoot,
    // Live: listening and answering `daemon.hello`. Whoever started the daemon is told now, not once the project is
    // open (a warm open of 100,000 files takes seconds); requests sent meanwhile wait for the open.
    onLive: () => {
      live = true;
      if (process.send) {
        // With what hello answers: a starter that only wanted the daemon up needs no round trip (the open is under way
        // and the daemon's event loop may be inside one of its long steps).
        process.send(
          { type: 'ready', pid: process.pid, socketPath: daemon.files.socketPath, hello: daemon.liveHello },
          () => process.disconnect?.(),
        );
      } else {
        const ws = daemon.webSocketEndpoint ? `, websocket ${daemon.webSocketEndpoint.url}` : '';
        process.stdout.write(`packer-daemon live: pid ${process.pid}, socket ${daemon.files.socketPath}${ws}\n`);
      }
    },
    ...(idleArg >= 0 ? { idleTimeoutMs: Number(args[idleArg + 1]) } : {}),
    // `--ws` turns the loopback WebSocket on; without it, PACKER_WS=1 or packer.json decide.
    ...(args.includes('--ws') ? { websocket: true } : {}),
    // A stop forced by an internal error exits non-zero so a supervisor can see the crash.
    onStopped: (reason) => process.exit(reason === 'internal error' ? 1 : 0),
    ...(hooks ? { hooks } : {}),
  });
  // A stop always ends the process: if the graceful one has not finished within STOP_DEADLINE_MS, or a second
  // signal comes, the socket, endpoint file and lock are removed and the process exits all the same.
  let deadline: NodeJS.Timeout | undefined;
  const forceExit = (why: string) => {
    process.stderr.write(`packer-daemon: ${why}; exiting without a graceful stop\n`);
    daemon.releaseRuntimeFiles();
    process.exit(1);
  };
  const stop = (reason: string) => () => {
    if (deadline) forceExit(`second ${reason}`);
    deadline = setTimeout(() => forceExit(`stop not finished after ${STOP_DEADLINE_MS} ms`), STOP_DEADLINE_MS);
    void daemon.shutdown(reason).catch((error: unknown) => forceExit(`stop failed: ${String(error)}`));
  };
  process.on('SIGTERM', stop('SIGTERM'));
  process.on('SIGINT', stop('SIGINT'));
  process.on('SIGHUP', stop('SIGHUP'));
  // Fewer full GCs while the open builds its state from nothing; the daemon's tight growth factor is back once open.
  const restoreHeapGrowth = relaxHeapGrowthDuringOpen();
  settleInOneGc();
  try {
    await daemon.start();
  } catch (error) {
    const packerError = toPackerError(error);
    process.stderr.write(`packer-daemon: ${packerError.message}\n`);
    // Before live, the starter is waiting to hear why; after, the requests that waited were answered with it.
    if (!live && process.send && process.connected)
      process.send({ type: 'error', error: packerError.toJSON() }, () => process.exit(1));
    else process.exit(1);
    return;
  }
  restoreHeapGrowth();
  process.on('uncaughtException', (error) => {
    // A full disk is not a crash: a background write that hit it is reported in health and the daemon serves on.
    if (isOutOfSpace(error)) {
      daemon.noteEscapedWriteFailure(error);
      return;
    }
    process.stderr.write(`packer-daemon: uncaught ${error.stack ?? error.message}\n`);
    deadline ??= setTimeout(() => forceExit(`stop not finished after ${STOP_DEADLINE_MS} ms`), STOP_DEADLINE_MS);
    void daemon.shutdown('internal error');
  });
  if (!process.send) process.stdout.write(`packer-daemon ready: pid ${process.pid}\n`);
}

/** Longest a stop may take before the process exits without finishing it. */
const STOP_DEADLINE_MS = 20_000;

function isOutOfSpace(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
