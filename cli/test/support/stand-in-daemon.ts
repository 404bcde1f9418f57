import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { projectFiles } from '@packer/client';

/** One request as a stand-in daemon reads it. */
export interface StandInRequest {
  id?: number;
  method: string;
  params?: unknown;
}

/**
 * A listener on the project's daemon socket that stands in for the daemon: every request line (a call or a
 * notification) goes to `serve` with the socket to answer on. Closed, with its connections, when the test ends.
 */
export async function standInDaemon(
  root: string,
  onFinished: (fn: () => Promise<void>) => void,
  serve: (request: StandInRequest, socket: net.Socket) => void,
): Promise<void> {
  const { socketPath, stateDir } = projectFiles(root);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const peers: net.Socket[] = [];
  const server = net.createServer((socket) => {
    peers.push(socket);
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) serve(JSON.parse(line) as StandInRequest, socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  onFinished(async () => {
    for (const peer of peers) peer.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
}

/** Writes the JSON-RPC answer to `request` (a result) on `socket`. */
export function answer(socket: net.Socket, request: StandInRequest, result: unknown): void {
  socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: request.id, result })}\n`);
}
