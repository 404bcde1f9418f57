import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PackerError } from '@packer/core/contract/runtime';
import type { MethodResult, PackerErrorJSON } from '@packer/core/contract';

/**
 * The daemon's executable: the `packer-daemon` bin of the @packer/daemon package installed next to this one.
 * Resolved at run time, not imported: the daemon takes its wire from this package, and clients that never start
 * a daemon (a Studio on a running one) need not install it.
 */
export function daemonEntryPoint(): string {
  const require = createRequire(import.meta.url);
  let manifestFile: string;
  try {
    manifestFile = require.resolve('@packer/daemon/package.json');
  } catch (error) {
    throw new PackerError(
      'NOT_READY',
      'Cannot start a packer daemon: the @packer/daemon package is not installed next to @packer/client.',
      {
        hint: 'Install @packer/daemon, or start the daemon yourself (`packer daemon start`) and connect with autoStart: false.',
      },
      { cause: error },
    );
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { bin?: Record<string, string> };
  const bin = manifest.bin?.['packer-daemon'];
  if (!bin)
    throw new PackerError(
      'INTERNAL',
      `${manifestFile} names no packer-daemon bin: the @packer/daemon package installed there is broken.`,
    );
  return path.join(path.dirname(manifestFile), bin);
}

/**
 * V8 flags of the daemon process (issue 11: VmRSS after a warm start). The young generation's default 16 MB
 * semi-spaces grow to ~48 MB of resident memory during the open and are not given back; 1 MB caps that. Measured at
 * 100k files, registry.shards 256, median of 3 alternated warm starts on a loaded 2-core machine: VmRSS 367 -> 283
 * MB (peak 384 -> 345), open 5.9 -> 6.0 s, status 222 -> 245 ms and a one-asset set 474 -> 528 ms (within the noise
 * of that machine). --max-semi-space-size=2 gave 330 MB; with --optimize-for-size 267 MB, but the open took 9.7 s.
 */
const DAEMON_V8_FLAGS = [
  '--max-semi-space-size=1',
  // The old generation may grow to 1.2x what the last full GC kept, not V8's adaptive factor (up to 4x on a machine
  // with memory to spare): a 100k add went from ~100 MB live to a 400 MB heap before its second full GC. Relative to
  // the live data, so a 1M project (~2 GB live) is not capped the way a fixed --max-old-space-size would cap it.
  // 100k files, one run each on a loaded 2-core machine (with the arena cap below): peak of the add 575 -> 405 MB, of
  // a cold build 684 -> 501 MB, of a one-file build 749 -> 465 MB, VmRSS after a warm start 270 -> 206 MB; add and
  // build times within that machine's noise.
  '--heap-growing-percent=20',
];

/**
 * glibc's allocator settings for the daemon; one set by whoever starts the daemon wins.
 * - MALLOC_ARENA_MAX: glibc gives each thread that allocates its own malloc arena (64 MB reserved, filled by
 *   whichever thread touched it last): the daemon's libuv pool, V8's GC helpers and the hashing and pack workers. Two
 *   arenas for all of them took VmRSS after a warm start from 233 to 206 MB and a cold build's peak from 543 to 501 MB
 *   (100k files, with the flags above).
 * - MALLOC_MMAP_THRESHOLD_: by default glibc raises the size from which a block gets its own mapping each time such a
 *   block is freed (up to 32 MB), so after the first large buffers of an open or a build every buffer up to that size
 *   comes from the heap, whose freed middle is never given back. A fixed 128 KiB (glibc's starting value) keeps large
 *   buffers in mappings that go back to the system when freed: VmHWM of a cold start and build at 100k files went from
 *   302-306 to 290-294 MB (3 alternated runs each).
 */
const DAEMON_MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const withDefaults = { ...env };
  for (const [name, value] of Object.entries(DAEMON_MALLOC_ENV)) withDefaults[name] ??= value;
  return withDefaults;
}

type StartMessage =
  | { type: 'ready'; pid: number; socketPath: string; hello?: MethodResult<'daemon.hello'> }
  | { type: 'error'; error: PackerErrorJSON };

/**
 * Starts a detached daemon for the project and waits for its verdict over IPC: live (listening, with what its hello
 * answers), or the start-up error (bad packer.json, lock held), which is rethrown here so whoever started it sees it.
 */
export async function startDaemonProcess(
  projectRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  extraArgs: string[] = [],
  entryPoint = daemonEntryPoint(),
): Promise<{ pid: number; socketPath: string; hello?: MethodResult<'daemon.hello'> }> {
  const child = fork(entryPoint, ['--project', projectRoot, ...extraArgs], {
    detached: true,
    // Ours first, so flags the parent runs with (an --inspect, a test's own) still pass on and win.
    execArgv: [...DAEMON_V8_FLAGS, ...process.execArgv],
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: daemonEnv(env),
    cwd: projectRoot,
  });
  try {
    const message = await new Promise<StartMessage>((resolve, reject) => {
      child.once('message', (value) => resolve(value as StartMessage));
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(
          new PackerError('NOT_READY', `The packer daemon exited during start-up (code ${code}).`, {
            logFile: `${projectRoot}/.packer/daemon.log`,
          }),
        ),
      );
    });
    if (message.type === 'error') throw new PackerError(message.error.code, message.error.message, message.error.data);
    return { pid: message.pid, socketPath: message.socketPath, ...(message.hello ? { hello: message.hello } : {}) };
  } finally {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
  }
}

/** Reads the endpoint file a running daemon wrote, if any. */
export function readEndpoint(
  endpointFile: string,
): { pid: number; socketPath: string; protocolVersion: number } | undefined {
  try {
    return JSON.parse(readFileSync(endpointFile, 'utf8')) as {
      pid: number;
      socketPath: string;
      protocolVersion: number;
    };
  } catch {
    return undefined;
  }
}
