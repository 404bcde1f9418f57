import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { copyFixture } from '@packer/fixtures';
import { PackerError } from '@packer/core/contract';
import { type DaemonClient, ProjectClient } from '@packer/client';
import { testDaemonEntryPoint } from '@packer/daemon/testing';
import { isDaemonAlive, projectFiles, startDaemon } from './support/daemon-harness.js';
import { killDaemonsFor, waitForExit } from './support/daemon-processes.js';

const roots: string[] = [];
const clients: DaemonClient[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const root of roots.splice(0)) {
    await killDaemonsFor(root);
    rmSync(root, { recursive: true, force: true });
  }
});

async function project(): Promise<string> {
  const root = await copyFixture('sample-game');
  roots.push(root);
  return root;
}

async function connect(root: string, options: { autoStart?: boolean; timeoutMs?: number } = {}): Promise<DaemonClient> {
  const client = await ProjectClient.connect(root, {
    client: 'connect-after-kill',
    reconnect: false,
    daemonEntryPoint: testDaemonEntryPoint(),
    ...options,
  });
  clients.push(client);
  return client;
}

describe('a client connecting right after its daemon was killed with SIGKILL', () => {
  it('gets a fresh daemon every time, even while the dead one still holds its socket open', async () => {
    const root = await project();
    const first = await startDaemon({ root, production: false });
    let victim = first.pid;
    let kill = () => first.child.kill('SIGKILL');
    const trials = 20;
    for (let trial = 0; trial < trials; trial++) {
      // Connect in the same tick as the kill: the dying daemon's listening socket may still accept (and then drop)
      // the connection, though its pid already reads as dead.
      kill();
      const client = await connect(root).catch((error: unknown) => {
        throw new Error(`trial ${trial}: connect after SIGKILL of pid ${victim} failed: ${(error as Error).message}`, {
          cause: error,
        });
      });
      expect(client.hello.pid).not.toBe(victim);
      expect(isDaemonAlive(client.hello.pid)).toBe(true);
      expect(await client.call('daemon.health', {})).toMatchObject({ live: true, ready: true, pid: client.hello.pid });
      victim = client.hello.pid;
      await client.close();
      clients.splice(clients.indexOf(client), 1);
      kill = () => process.kill(victim, 'SIGKILL');
    }
    kill();
    await waitForExit(victim);
  }, 180_000);

  it('ends with NOT_READY within the deadline when whatever listens on the socket drops every hello', async () => {
    const root = await project();
    const files = projectFiles(root);
    mkdirSync(files.stateDir, { recursive: true });
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(files.socketPath, resolve));
    const started = Date.now();
    const error = await connect(root, { autoStart: false, timeoutMs: 2_000 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PackerError);
    expect(error).toMatchObject({ code: 'NOT_READY' });
    expect((error as Error).message).toContain(files.socketPath);
    // Retried (hello is idempotent), then gave up at the deadline: neither a hang nor a first-try CONNECTION_LOST.
    expect(accepted).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(2_000 + 3_000);
  });
});
