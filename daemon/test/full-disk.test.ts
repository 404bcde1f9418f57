import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import type { MethodResult } from '@packer/core/contract';
import { type DaemonClient, ProjectClient } from '@packer/client';
import {
  connectClient,
  EventRecorder,
  projectFiles,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from './support/daemon-harness.js';
import { killDaemonsFor, waitForExit } from './support/daemon-processes.js';
import { waitUntil } from './support/wait-until.js';

/**
 * Issue 9 item 8: a full disk never takes the daemon down or hangs it. Runs against a real 2 MiB tmpfs (tests run as
 * root here and in CI); where mounting is not allowed the case is skipped with a loud message.
 * FULL_DISK_RUNS repeats the scenario (default 6: the old daemon survived 1 run in 6).
 */
const RUNS = Number(process.env.FULL_DISK_RUNS ?? 6);

let mountPoint: string | undefined;
let mountError: string | undefined;
const base = mkdtempSync(path.join(os.tmpdir(), 'packer-full-disk-'));

beforeAll(() => {
  const dir = path.join(base, 'mnt');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
    mountPoint = dir;
  } catch (error) {
    mountError = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    console.warn(
      `\n!!! SKIPPING the real full-disk test: cannot mount a 2 MiB tmpfs (${mountError}). Run as root to test it. !!!\n`,
    );
  }
});

afterAll(() => {
  if (mountPoint) {
    for (const root of existsSync(mountPoint) ? projectRoots : []) void killDaemonsFor(root);
    try {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      console.warn(`could not unmount ${mountPoint}: ${String(error)}`);
    }
  }
  rmSync(base, { recursive: true, force: true });
});

const projectRoots: string[] = [];

/** Writes a filler file at the top of the tmpfs (outside the project, so no watcher sees it) until the disk is full. */
function fillDisk(): string {
  const filler = path.join(mountPoint!, `filler-${Date.now()}`);
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        // The last partial page may still take a little; take that too.
        for (;;) {
          try {
            writeSync(fd, chunk, 0, 512);
          } catch {
            return filler;
          }
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

type Health = MethodResult<'daemon.health'>;

async function healthUntil(
  client: DaemonClient,
  what: string,
  predicate: (health: Health) => boolean,
  timeoutMs = 15_000,
): Promise<Health> {
  let last: Health | undefined;
  await waitUntil(async () => predicate((last = await client.call('daemon.health', {}))), what, timeoutMs, 50);
  return last!;
}

describe('a daemon on a full disk (real 2 MiB tmpfs)', () => {
  it.each(Array.from({ length: RUNS }, (_, run) => run + 1))(
    'run %i: an add fails with IO_ERROR naming the file, saves degrade and recover, SIGTERM still stops it cleanly',
    async (run) => {
      if (!mountPoint) {
        console.warn(`SKIPPED full-disk run ${run}: ${mountError}`);
        return;
      }
      const root = await copyFixture('sample-game', path.join(mountPoint, `run-${run}`));
      projectRoots.push(root);
      const files = projectFiles(root);
      let daemon: DaemonProcess | undefined;
      let client: DaemonClient | undefined;
      let filler: string | undefined;
      try {
        daemon = await startDaemon({ root });
        client = await connectClient(root, 'full-disk');
        const recorder = new EventRecorder();
        await client.subscribe({ onEvent: recorder.onEvent });
        // A new file to add, seen by the daemon while there is still room.
        const newFile = 'assets/data/new-level.json';
        const handle = openSync(path.join(root, newFile), 'w');
        writeSync(handle, '{"level":4}');
        closeSync(handle);
        await client.call('snapshot.summary', { sync: true });

        filler = fillDisk();
        // Touch a registered file: the daemon re-hashes it and its periodic digest-cache save meets the full disk.
        const touched = path.join(root, 'assets/data/items.json');
        utimesSync(touched, new Date(), new Date(Date.now() + 60_000));

        // The add fails on the operation that hit the disk, with the file named, and ends with a terminal event.
        const failure = await client.call('mutation.apply', { mutation: { type: 'register', paths: [newFile] } }).then(
          () => undefined,
          (error: { code?: string; message: string; data?: { path?: string; errno?: string } }) => error,
        );
        expect(failure, 'the add must fail on a full disk').toBeDefined();
        expect(failure!.code).toBe('IO_ERROR');
        expect(failure!.data?.errno).toBe('ENOSPC');
        expect(failure!.data?.path).toContain(root);
        expect(failure!.message).toContain(failure!.data!.path!);
        await recorder.waitFor(
          (events) =>
            events.some(
              (event) =>
                event.type === 'failed' && (event.payload as { error: { code: string } }).error.code === 'IO_ERROR',
            ),
          15_000,
          'failed event of the add',
        );

        // The digest save degrades to a health warning naming its file; the daemon keeps answering.
        const degraded = await healthUntil(
          client,
          'the digest cache reports its failed save',
          (health) => health.storage?.warnings.some((warning) => warning.store === 'digest-cache') === true,
        );
        expect(degraded.storage!.state).toBe('degraded');
        expect(degraded.storage!.warnings.find((warning) => warning.store === 'digest-cache')).toMatchObject({
          errno: 'ENOSPC',
          path: path.join(files.stateDir, 'digests.lmdb'),
        });
        expect(degraded.live).toBe(true);
        expect((await client.call('snapshot.summary', {})).projectName).toBeTruthy();
        expect(daemon.child.exitCode).toBeNull();

        // Space again: every held-back write goes through and the warnings clear; the add now works.
        rmSync(filler);
        filler = undefined;
        await healthUntil(
          client,
          'storage recovers',
          (health) => health.storage?.state === 'ok' && health.storage.warnings.length === 0,
        );
        const applied = await client.call('mutation.apply', { mutation: { type: 'register', paths: [newFile] } });
        expect(applied.revisionAfter).toBeGreaterThan(applied.revisionBefore);
        expect(
          JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).assets.some(
            (asset: { path: string }) => asset.path === newFile,
          ),
        ).toBe(true);

        // Full again, then SIGTERM: the last event cannot be written, and the stop still completes within seconds.
        filler = fillDisk();
        await client.close();
        client = undefined;
        const stoppedAt = Date.now();
        daemon.child.kill('SIGTERM');
        const exit = await Promise.race([
          daemon.exited,
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
        ]);
        expect(exit, 'the daemon must exit on SIGTERM with a full disk').not.toBe('hung');
        expect(Date.now() - stoppedAt).toBeLessThan(10_000);
        expect(existsSync(files.lockDir)).toBe(false);
        expect(existsSync(files.socketPath)).toBe(false);
        rmSync(filler);
        filler = undefined;

        // The next client starts a fresh daemon at once (no 30 s wait for NOT_READY).
        const startedAt = Date.now();
        const next = await ProjectClient.connect(root, {
          client: 'full-disk-next',
          autoStart: true,
          reconnect: false,
          timeoutMs: 20_000,
        });
        try {
          expect(next.hello.pid).not.toBe(daemon.pid);
          expect(Date.now() - startedAt).toBeLessThan(10_000);
          expect((await next.call('daemon.health', {})).storage).toEqual({ state: 'ok', warnings: [] });
          const pid = next.hello.pid;
          await next.call('daemon.shutdown', { reason: 'test done' });
          await waitForExit(pid);
        } finally {
          await next.close();
        }
      } finally {
        if (filler) rmSync(filler, { force: true });
        await client?.close();
        if (daemon) await stopDaemon(daemon, { keepRoot: true });
        await killDaemonsFor(root);
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
