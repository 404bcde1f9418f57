import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPipelined, pipelinedCalls } from './pipelined-calls.js';
import { projectFiles } from './project-files.js';

const CALLS = [
  { method: 'daemon.hello', params: { client: 'test', protocolVersion: 2 } },
  { method: 'snapshot.summary', params: { sync: true } },
  { method: 'daemon.health', params: {} },
];

describe('pipelinedCalls', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A project folder with a fake daemon on its socket: `serve` gets each connection's request lines. */
  async function projectWithDaemon(serve?: (socket: net.Socket, lines: string[]) => void): Promise<string> {
    const root = await mkdtemp(path.join(tmpdir(), 'packer-pipelined-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    writeFileSync(path.join(root, 'packer.json'), '{"name":"p"}');
    const { socketPath, stateDir } = projectFiles(root, {});
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    if (!serve) return root;
    const peers: net.Socket[] = [];
    const server = net.createServer((socket) => {
      peers.push(socket);
      const lines: string[] = [];
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        const parts = text.split('\n');
        text = parts.pop()!;
        lines.push(...parts);
        serve(socket, lines);
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(async () => {
      for (const peer of peers) peer.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return root;
  }

  it('sends every call before any answer and returns the answers in call order', async () => {
    const root = await projectWithDaemon((socket, lines) => {
      // Answers only once all three requests are in: the calls do not wait for each other.
      if (lines.length !== 3) return;
      const ids = lines.map((line) => (JSON.parse(line) as { id: number }).id);
      socket.write(`{"jsonrpc":"2.0","id":${ids[2]},"result":{"health":true}}\n`);
      socket.write('{"jsonrpc":"2.0","method":"events.event","params":{}}\n');
      socket.write(`{"jsonrpc":"2.0","id":${ids[1]},"error":{"code":-32001,"message":"not ready"}}\n`);
      socket.write(`{"jsonrpc":"2.0","id":${ids[0]},"result":{"protocolVersion":2}}\n`);
    });
    mkdirSync(path.join(root, 'assets'));
    const replies = await pipelinedCalls(path.join(root, 'assets'), CALLS, {});
    expect(replies).toEqual([
      { result: { protocolVersion: 2 } },
      { error: { code: -32001, message: 'not ready' } },
      { result: { health: true } },
    ]);
  });

  it('resolves undefined, never throws, when there is no daemon, no project, or the daemon hangs up early', async () => {
    const noDaemon = await projectWithDaemon();
    expect(await pipelinedCalls(noDaemon, CALLS, {})).toBeUndefined();

    const outside = await mkdtemp(path.join(tmpdir(), 'packer-pipelined-none-'));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    expect(await pipelinedCalls(outside, CALLS, {})).toBeUndefined();

    const hangsUp = await projectWithDaemon((socket, lines) => {
      if (lines.length > 0 && !socket.writableEnded)
        socket.end(`{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":2}}\n`);
    });
    expect(await pipelinedCalls(hangsUp, CALLS, {})).toBeUndefined();
  });

  it('a session sends a second batch on the same connection once the first is answered, and reports a daemon that hangs up before answering it', async () => {
    let connections = 0;
    const root = await projectWithDaemon((socket, lines) => {
      if (lines.length === 1) connections++;
      const last = JSON.parse(lines.at(-1)!) as { id: number; method: string };
      // The second batch's one call is never answered: the daemon goes away (the outcome of an apply is unknown).
      if (last.method === 'mutation.apply') return void socket.destroy();
      socket.write(`{"jsonrpc":"2.0","id":${last.id},"result":{"method":"${last.method}"}}\n`);
    });
    const session = openPipelined(root, {});
    expect(session?.root).toBe(root);
    expect(await session!.send([CALLS[0]!])).toEqual([{ result: { method: 'daemon.hello' } }]);
    expect(await session!.send([{ method: 'mutation.preview', params: {} }])).toEqual([
      { result: { method: 'mutation.preview' } },
    ]);
    expect(await session!.send([{ method: 'mutation.apply', params: {} }])).toBeUndefined();
    // Over for good: a later batch is not sent on a new connection behind the caller's back.
    expect(await session!.send([CALLS[2]!])).toBeUndefined();
    expect(connections).toBe(1);
    session!.close();
  });
});
