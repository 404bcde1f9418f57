import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DaemonClient } from '@packer/client';
import { isDaemonAlive } from './daemon-harness.js';
import { waitUntil } from './wait-until.js';

/**
 * Process-level checks for daemons the tests did not fork themselves (auto-started, detached): find them in
 * /proc by their command line, wait for them to go, stop the ones a test left behind.
 */

/** Pids of live `packer-daemon --project <root>` processes (zombies have an empty cmdline and are not listed). */
export function daemonPidsFor(root: string): number[] {
  const wanted = path.resolve(root);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited while we looked
    }
    const project = argv.indexOf('--project');
    if (
      argv.some((arg) => arg.endsWith('packer-daemon.js') || arg.endsWith('packer-daemon-test.js')) &&
      project !== -1 &&
      argv[project + 1] === wanted
    )
      pids.push(Number(entry));
  }
  return pids;
}

/** Resolves once the process is gone (or a zombie awaiting its reaper). */
export function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  return waitUntil(() => !isDaemonAlive(pid), `pid ${pid} exited`, timeoutMs);
}

/** Asks the client's daemon to stop, closes the client and waits for the process to go. */
export async function shutdownThrough(client: DaemonClient, reason = 'test done'): Promise<void> {
  const pid = client.hello.pid;
  await client.call('daemon.shutdown', { reason });
  await client.close();
  await waitForExit(pid);
}

/** Last resort for a test that failed half-way: SIGKILL every daemon still serving `root`. */
export async function killDaemonsFor(root: string): Promise<void> {
  for (const pid of daemonPidsFor(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitForExit(pid).catch(() => undefined);
  }
}
