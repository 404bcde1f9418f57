#!/usr/bin/env node
import path from 'node:path';
import { toPackerError } from '@packer/core/contract';
import { Daemon } from '../daemon.js';

/**
 * `packer-daemon --project <dir> [--ws]`: runs one project's daemon in the foreground. Clients start it detached with
 * an IPC channel and learn through it whether start-up worked (a bad packer.json is reported to them, by name).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const index = args.indexOf('--project');
  const projectRoot = path.resolve(index >= 0 && args[index + 1] ? args[index + 1]! : process.cwd());
  const idleArg = args.indexOf('--idle-timeout-ms');
  const daemon = new Daemon({
    projectRoot,
    ...(idleArg >= 0 ? { idleTimeoutMs: Number(args[idleArg + 1]) } : {}),
    // `--ws` turns the loopback WebSocket on; without it, PACKER_WS=1 or packer.json decide.
    ...(args.includes('--ws') ? { websocket: true } : {}),
    // A stop forced by an internal error exits non-zero so a supervisor can see the crash.
    onStopped: (reason) => process.exit(reason === 'internal error' ? 1 : 0),
  });
  const stop = (reason: string) => () => void daemon.shutdown(reason);
  process.on('SIGTERM', stop('SIGTERM'));
  process.on('SIGINT', stop('SIGINT'));
  process.on('SIGHUP', stop('SIGHUP'));
  try {
    await daemon.start();
  } catch (error) {
    const packerError = toPackerError(error);
    process.stderr.write(`packer-daemon: ${packerError.message}\n`);
    if (process.send) process.send({ type: 'error', error: packerError.toJSON() }, () => process.exit(1));
    else process.exit(1);
    return;
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`packer-daemon: uncaught ${error.stack ?? error.message}\n`);
    void daemon.shutdown('internal error');
  });
  if (process.send) {
    process.send({ type: 'ready', pid: process.pid, socketPath: daemon.files.socketPath }, () => process.disconnect?.());
  } else {
    const ws = daemon.webSocketEndpoint ? `, websocket ${daemon.webSocketEndpoint.url}` : '';
    process.stdout.write(`packer-daemon ready: pid ${process.pid}, socket ${daemon.files.socketPath}${ws}\n`);
  }
}

void main();
