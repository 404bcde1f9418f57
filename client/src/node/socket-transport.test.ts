import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

// The child runs the compiled client (build with `npx tsc -b` first), as the `packer` bin does.
const CLIENT_DIST = new URL('../../dist/node/socket-transport.js', import.meta.url).href;

describe('socketTransport close', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('lets the process exit once it closed, without waiting for the daemon to close its side', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'packer-client-'));
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    const socketPath = path.join(folder, 'daemon.sock');
    // A daemon busy elsewhere: it accepts and reads, but never ends the connection while the client runs.
    const peers: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (socket) => peers.push(socket.resume()));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(async () => {
      for (const peer of peers) peer.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    const child = `
      import net from 'node:net';
      const { socketTransport } = await import(${JSON.stringify(CLIENT_DIST)});
      const socket = net.connect(${JSON.stringify(socketPath)});
      await new Promise((resolve) => socket.once('connect', resolve));
      const transport = socketTransport(socket);
      transport.send('{"jsonrpc":"2.0","id":1,"method":"daemon.health","params":{}}');
      transport.close();
      process.on('exit', () => process.stdout.write('closed by the daemon before exit: ' + transport.closed));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', child]);
    // Before, the socket held the process until the daemon closed its side (or a 1 s timer destroyed it).
    expect(stdout).toBe('closed by the daemon before exit: false');
  });
});
