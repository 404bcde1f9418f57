import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { type DaemonClient, ProjectClient } from '@packer/client';
import { projectFiles, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { daemonPidsFor, killDaemonsFor, shutdownThrough } from './support/daemon-processes.js';

/** The uid of `nobody`: the other local user these tests play. */
const OTHER_UID = 65534;

const temporary: string[] = [];
const clients: DaemonClient[] = [];
const listeners: net.Server[] = [];
let daemon: DaemonProcess | undefined;

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of listeners.splice(0)) await new Promise((resolve) => server.close(resolve));
  if (daemon) await stopDaemon(daemon, { keepRoot: true });
  daemon = undefined;
  for (const dir of temporary.splice(0)) {
    await killDaemonsFor(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A project whose `.packer/daemon.sock` would be too long, so its socket falls back to `<TMPDIR>/packer-<uid>/`,
 * with TMPDIR (and XDG_RUNTIME_DIR) of the test's own choosing, so no other test's folders are touched.
 */
async function longProject(
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ root: string; sandbox: string; env: NodeJS.ProcessEnv; socketPath: string }> {
  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'packer-imp-'));
  temporary.push(sandbox);
  const tmp = path.join(sandbox, 'tmp');
  mkdirSync(tmp, { mode: 0o1777 });
  chmodSync(tmp, 0o1777);
  const root = path.join(sandbox, 'x'.repeat(120));
  await copyFixture('sample-game', root);
  const env = { ...process.env, TMPDIR: tmp, XDG_RUNTIME_DIR: '', PACKER_SOCKET_DIR: '', ...extraEnv };
  return { root, sandbox, env, socketPath: projectFiles(root, env).socketPath };
}

/** Another user's listener on the socket name the client expects: counts what reaches it. */
async function fakeDaemon(socketPath: string): Promise<{ connections: number; bytes: number }> {
  const seen = { connections: 0, bytes: 0 };
  const server = net.createServer((socket) => {
    seen.connections += 1;
    socket.on('data', (chunk) => (seen.bytes += chunk.length));
    socket.on('error', () => undefined);
  });
  listeners.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return seen;
}

function connect(root: string, env: NodeJS.ProcessEnv): Promise<DaemonClient> {
  return ProjectClient.connect(root, {
    client: 'impersonation-test',
    autoStart: true,
    reconnect: false,
    env,
    timeoutMs: 60_000,
  }).then((client) => {
    clients.push(client);
    return client;
  });
}

async function refusal(promise: Promise<unknown>): Promise<Error & { code?: string; data?: Record<string, unknown> }> {
  return promise.then(
    () => {
      throw new Error('expected the connection to be refused');
    },
    (error: Error & { code?: string }) => error,
  );
}

describe('the fallback socket folder', () => {
  it('is <TMPDIR>/packer-<uid>, created 0700 by the daemon, and works end to end', async () => {
    const { root, env, socketPath, sandbox } = await longProject();
    expect(path.dirname(socketPath)).toBe(path.join(sandbox, 'tmp', `packer-${process.getuid!()}`));
    const client = await connect(root, env);
    expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
    expect(statSync(socketPath).uid).toBe(process.getuid!());
    expect((await client.call('snapshot.summary', {})).summary.assets).toBeGreaterThan(0);
    await shutdownThrough(client);
  });

  it('prefers $XDG_RUNTIME_DIR/packer when XDG_RUNTIME_DIR is a private folder of ours, and skips it when others can write it', async () => {
    const runtime = mkdtempSync(path.join(os.tmpdir(), 'packer-xdg-'));
    temporary.push(runtime);
    chmodSync(runtime, 0o700);
    const { root, env, socketPath } = await longProject({ XDG_RUNTIME_DIR: runtime });
    expect(path.dirname(socketPath)).toBe(path.join(runtime, 'packer'));
    const client = await connect(root, env);
    expect(existsSync(socketPath)).toBe(true);
    expect(statSync(path.join(runtime, 'packer')).mode & 0o777).toBe(0o700);
    await shutdownThrough(client);

    chmodSync(runtime, 0o777);
    expect(path.dirname(projectFiles(root, env).socketPath)).toBe(
      path.join(env.TMPDIR!, `packer-${process.getuid!()}`),
    );
  });
});

describe('a client facing another user in the socket folder', () => {
  it('refuses a folder owned by another user, with UNSAFE_SOCKET, before sending a byte to the listener there', async () => {
    const { root, env, socketPath } = await longProject();
    const folder = path.dirname(socketPath);
    mkdirSync(folder, { mode: 0o700 });
    const seen = await fakeDaemon(socketPath);
    chownSync(socketPath, OTHER_UID, OTHER_UID);
    chownSync(folder, OTHER_UID, OTHER_UID);

    const started = Date.now();
    const error = await refusal(connect(root, env));
    expect(error.code).toBe('UNSAFE_SOCKET');
    expect(error.message).toContain(folder);
    expect(error.message).toContain(`uid ${OTHER_UID}`);
    expect(String(error.data?.hint)).toContain('XDG_RUNTIME_DIR');
    expect(seen).toEqual({ connections: 0, bytes: 0 });
    // Refused at once: no start attempt, no wait for a daemon to come up.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(daemonPidsFor(root)).toEqual([]);
  });

  it('refuses a folder of ours that others can write (mode 0777)', async () => {
    const { root, env, socketPath } = await longProject();
    const folder = path.dirname(socketPath);
    mkdirSync(folder);
    chmodSync(folder, 0o777);
    const seen = await fakeDaemon(socketPath);

    const error = await refusal(connect(root, env));
    expect(error.code).toBe('UNSAFE_SOCKET');
    expect(error.message).toContain('0777');
    expect(seen).toEqual({ connections: 0, bytes: 0 });
    expect(daemonPidsFor(root)).toEqual([]);
  });

  it('refuses a socket owned by another user even in a private folder of ours', async () => {
    const { root, env, socketPath } = await longProject();
    mkdirSync(path.dirname(socketPath), { mode: 0o700 });
    const seen = await fakeDaemon(socketPath);
    chownSync(socketPath, OTHER_UID, OTHER_UID);

    const error = await refusal(connect(root, env));
    expect(error.code).toBe('UNSAFE_SOCKET');
    expect(error.message).toContain(socketPath);
    expect(seen).toEqual({ connections: 0, bytes: 0 });
  });

  it('refuses a PACKER_SOCKET_DIR that another user owns', async () => {
    const { root, env, sandbox } = await longProject();
    const shared = path.join(sandbox, 'shared-sockets');
    mkdirSync(shared, { mode: 0o700 });
    const withDir = { ...env, PACKER_SOCKET_DIR: shared };
    const seen = await fakeDaemon(projectFiles(root, withDir).socketPath);
    chownSync(shared, OTHER_UID, OTHER_UID);

    const error = await refusal(connect(root, withDir));
    expect(error.code).toBe('UNSAFE_SOCKET');
    expect(seen).toEqual({ connections: 0, bytes: 0 });
  });
});

describe('a daemon facing another user in the socket folder', () => {
  it('refuses to listen in a folder another user made first, with UNSAFE_SOCKET at start-up', async () => {
    const { root, env, socketPath } = await longProject();
    const folder = path.dirname(socketPath);
    mkdirSync(folder, { mode: 0o700 });
    chownSync(folder, OTHER_UID, OTHER_UID);

    const error = await refusal(
      startDaemon({ root, env: { TMPDIR: env.TMPDIR, XDG_RUNTIME_DIR: '', PACKER_SOCKET_DIR: '' } }),
    );
    expect(error.code).toBe('UNSAFE_SOCKET');
    expect(existsSync(socketPath)).toBe(false);
  });

  it('tightens a folder of its own to 0700 before it listens', async () => {
    const { root, env, socketPath } = await longProject();
    const folder = path.dirname(socketPath);
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    daemon = await startDaemon({ root, env: { TMPDIR: env.TMPDIR, XDG_RUNTIME_DIR: '', PACKER_SOCKET_DIR: '' } });
    expect(daemon.socketPath).toBe(socketPath);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const client = await connect(root, env);
    expect(client.hello.pid).toBe(daemon.pid);
  });
});
