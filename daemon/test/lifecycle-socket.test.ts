import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { type DaemonClient, ProjectClient } from '@packer/client';
import { projectFiles, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { killDaemonsFor, shutdownThrough } from './support/daemon-processes.js';

let daemon: DaemonProcess | undefined;
const temporary: string[] = [];
const clients: DaemonClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
  for (const dir of temporary.splice(0)) {
    await killDaemonsFor(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

async function connect(root: string, env: NodeJS.ProcessEnv = process.env, autoStart = false): Promise<DaemonClient> {
  const client = await ProjectClient.connect(root, { client: 'socket-test', autoStart, reconnect: false, env });
  clients.push(client);
  return client;
}

/** An environment whose temp folder is the test's own, so the fallback socket folder is removed with it. */
function privateTemp(): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: tempDir('packer-tmp-'), XDG_RUNTIME_DIR: '' };
}

function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('the daemon socket', () => {
  it('lives in .packer/ with mode 0600', async () => {
    daemon = await startDaemon();
    expect(daemon.socketPath).toBe(path.join(daemon.root, '.packer', 'daemon.sock'));
    expect(statSync(daemon.socketPath).isSocket()).toBe(true);
    expect(modeOf(daemon.socketPath)).toBe(0o600);
  });

  it('falls back to a short path keyed by the project when .packer/daemon.sock would pass 100 bytes', async () => {
    const parent = tempDir('packer-long-');
    const root = path.join(parent, 'a-rather-long-folder-name-for-a-game-project'.repeat(2), 'and-deeper-still');
    await copyFixture('sample-game', root);
    const local = path.join(root, '.packer', 'daemon.sock');
    expect(Buffer.byteLength(local)).toBeGreaterThan(100);

    const env = privateTemp();
    const expected = projectFiles(root, env).socketPath;
    expect(expected).not.toBe(local);
    expect(Buffer.byteLength(expected)).toBeLessThanOrEqual(100);
    daemon = await startDaemon({ root, env: { TMPDIR: env.TMPDIR, XDG_RUNTIME_DIR: '' } });
    expect(daemon.socketPath).toBe(expected);
    expect(existsSync(local)).toBe(false);
    expect(modeOf(daemon.socketPath)).toBe(0o600);
    expect(modeOf(path.dirname(daemon.socketPath)) & 0o077).toBe(0);

    const client = await connect(root, env);
    expect(client.hello.pid).toBe(daemon.pid);
    const summary = await client.call('snapshot.summary', {});
    expect(summary.summary.assets).toBeGreaterThan(0);
    await client.call('daemon.shutdown', {});
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(expected)).toBe(false);
  });

  it('is found and auto-started at the fallback path by a client on a long project path', async () => {
    const parent = tempDir('packer-long-');
    const root = path.join(parent, 'x'.repeat(120));
    await copyFixture('sample-game', root);
    const env = privateTemp();
    const client = await connect(root, env, true);
    expect(existsSync(projectFiles(root, env).socketPath)).toBe(true);
    expect(projectFiles(root, env).socketPath.startsWith(root)).toBe(false);
    await shutdownThrough(client);
    expect(existsSync(projectFiles(root, env).socketPath)).toBe(false);
  });

  it('honours PACKER_SOCKET_DIR for daemon and client alike', async () => {
    const socketDir = path.join(tempDir('packer-sockets-'), 'private');
    const env = { ...process.env, PACKER_SOCKET_DIR: socketDir };
    const root = await copyFixture('sample-game');
    temporary.push(root);
    const expected = projectFiles(root, env).socketPath;
    expect(path.dirname(expected)).toBe(socketDir);

    daemon = await startDaemon({ root, env: { PACKER_SOCKET_DIR: socketDir } });
    expect(daemon.socketPath).toBe(expected);
    expect(existsSync(path.join(root, '.packer', 'daemon.sock'))).toBe(false);
    expect(modeOf(expected)).toBe(0o600);
    expect(modeOf(socketDir)).toBe(0o700);

    const client = await connect(root, env);
    expect(client.hello.pid).toBe(daemon.pid);
    // A client without the override looks in .packer/ and finds nothing there.
    await expect(
      ProjectClient.connect(root, {
        client: 'socket-test',
        autoStart: false,
        reconnect: false,
        env: { ...process.env, PACKER_SOCKET_DIR: '' },
      }),
    ).rejects.toMatchObject({ code: 'NOT_READY' });
    await client.call('daemon.shutdown', {});
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(expected)).toBe(false);
  });
});
