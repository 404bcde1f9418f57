import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connectToDaemon, isDaemonAlive } from '@packer/client';
import { PackerError } from '@packer/core/contract/runtime';

/** Where the daemon's WebSocket listens, and the token it expects (new on every daemon start). */
export interface WebSocketEndpoint {
  url: string;
  token: string;
  /** The daemon's pid. */
  pid: number;
  /** True when this call started (or restarted) the daemon. */
  started: boolean;
}

const STOP_TIMEOUT_MS = 30_000;

/**
 * Makes sure the project's daemon listens on its loopback WebSocket and returns the url (from `daemon.health`)
 * and the token (from `.packer/ws-token`, the owner-only file the daemon writes for its local clients). A daemon
 * running without the listener is restarted with it: the listener cannot be switched on in a running daemon.
 */
export async function ensureWebSocketEndpoint(projectRoot: string, client = 'cli:studio'): Promise<WebSocketEndpoint> {
  const env = { ...process.env, PACKER_WS: '1' };
  let started = false;
  for (let attempt = 0; ; attempt++) {
    const running = await connectToDaemon(projectRoot, { client, env, autoStart: false }).catch(() => undefined);
    const { connection, hello } = running ?? (await connectToDaemon(projectRoot, { client, env }));
    started ||= running === undefined;
    try {
      const health = await connection.call('daemon.health', {});
      if (health.websocket) {
        return { url: health.websocket.url, token: readToken(hello.projectRoot), pid: hello.pid, started };
      }
      if (attempt > 0) {
        throw new PackerError('NOT_READY', 'The packer daemon started without its WebSocket listener.', {
          hint: 'Check the daemon.websocket settings of the project and PACKER_WS in the environment (PACKER_WS=0 turns the listener off).',
        });
      }
      // Restart it with the listener; its clients reconnect by themselves.
      const stopped = new Promise<void>((resolve) => connection.onClose(() => resolve()));
      await connection.call('daemon.shutdown', { reason: 'packer studio: restart with the WebSocket listener' });
      await stopped;
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (isDaemonAlive(hello.pid)) {
        if (Date.now() > deadline)
          throw new PackerError(
            'NOT_READY',
            `The daemon (pid ${hello.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s.`,
            { pid: hello.pid },
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      started = true;
    } finally {
      connection.close();
    }
  }
}

function readToken(projectRoot: string): string {
  return readFileSync(path.join(projectRoot, '.packer', 'ws-token'), 'utf8').trim();
}
