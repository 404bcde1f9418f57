import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { PROTOCOL_VERSION } from '@packer/core/contract';
import type { ProjectFiles } from '@packer/client';
import { DAEMON_VERSION } from '../version.js';
import { ensureSocketDir } from './socket-dir.js';

/**
 * Listens on the project's Unix socket (owner-only from the moment it exists) and writes the endpoint file
 * clients read. The caller holds the project lock, so a socket file already there belongs to a dead daemon.
 */
export async function listenOnSocket(
  files: ProjectFiles,
  endpoint: { startedAt: Date; generation: number },
  onSocket: (socket: net.Socket) => void,
  onError: (error: Error) => void,
): Promise<net.Server> {
  ensureSocketDir(files.socketPath);
  rmSync(files.socketPath, { force: true });
  const server = net.createServer(onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket file is created (bound) inside listen(): create it owner-only, so no other user can connect
    // in the moment before the chmod below.
    const umask = process.umask(0o177);
    try {
      server.listen(files.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(files.socketPath, 0o600);
  server.on('error', onError);
  writeFileSync(
    files.endpointFile,
    JSON.stringify(
      {
        pid: process.pid,
        socketPath: files.socketPath,
        protocolVersion: PROTOCOL_VERSION,
        daemonVersion: DAEMON_VERSION,
        startedAt: endpoint.startedAt.toISOString(),
        generation: endpoint.generation,
      },
      null,
      2,
    ),
  );
  return server;
}
