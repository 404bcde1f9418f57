import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PackerError } from '@packer/core/contract/runtime';
import type { ErrorCode } from '@packer/core/contract';

/** The compiled daemon entry point (this file sits in dist/client/ at run time). */
export function daemonEntryPoint(): string {
  const compiled = fileURLToPath(new URL('../bin/packer-daemon.js', import.meta.url));
  if (existsSync(compiled)) return compiled;
  // Running from TypeScript sources (tests): use the package's built output.
  return fileURLToPath(new URL('../../dist/bin/packer-daemon.js', import.meta.url));
}

type StartMessage = { type: 'ready'; pid: number; socketPath: string } | { type: 'error'; error: { code: ErrorCode; message: string; data: Record<string, unknown> } };

/**
 * Starts a detached daemon for the project and waits for its verdict over IPC: ready, or the start-up error
 * (bad packer.json, lock held), which is rethrown here so whoever started it sees it.
 */
export async function startDaemonProcess(projectRoot: string, env: NodeJS.ProcessEnv = process.env, extraArgs: string[] = []): Promise<{ pid: number; socketPath: string }> {
  const child = fork(daemonEntryPoint(), ['--project', projectRoot, ...extraArgs], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env,
    cwd: projectRoot,
  });
  try {
    const message = await new Promise<StartMessage>((resolve, reject) => {
      child.once('message', (value) => resolve(value as StartMessage));
      child.once('error', reject);
      child.once('exit', (code) => reject(new PackerError('NOT_READY', `The packer daemon exited during start-up (code ${code}).`, { logFile: `${projectRoot}/.packer/daemon.log` })));
    });
    if (message.type === 'error') throw new PackerError(message.error.code, message.error.message, message.error.data);
    return { pid: message.pid, socketPath: message.socketPath };
  } finally {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** Reads the endpoint file a running daemon wrote, if any. */
export function readEndpoint(endpointFile: string): { pid: number; socketPath: string; protocolVersion: number } | undefined {
  try {
    return JSON.parse(readFileSync(endpointFile, 'utf8')) as { pid: number; socketPath: string; protocolVersion: number };
  } catch {
    return undefined;
  }
}
