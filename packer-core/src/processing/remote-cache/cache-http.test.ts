import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheHttp, ConnectionError } from './cache-http.js';

// A real loopback server that takes connections and reads requests but never answers: what a hung cache looks like.
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function silentServer(onRequest?: () => void): Promise<string> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => onRequest?.());
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/cache`;
}

describe('CacheHttp', () => {
  it('a server that never answers is a ConnectionError after timeoutMs, for every request in flight', async () => {
    const http = new CacheHttp({ url: await silentServer(), headers: {}, timeoutMs: 300, concurrency: 4 });
    try {
      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, index) => http.get(`ac/${index}`, 1024, () => undefined)),
      );
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
        expect(String((result as PromiseRejectedResult).reason.message)).toMatch(/no reply within 300 ms/);
      }
      // 6 requests on 4 sockets: two rounds of timeouts at most, not one request after the other.
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      http.close();
    }
  });

  it("cancelling a build's signal ends its requests in flight at once, and only that build's", async () => {
    let received = 0;
    let resolveTwo!: () => void;
    const two = new Promise<void>((resolve) => (resolveTwo = resolve));
    const url = await silentServer(() => {
      if (++received === 2) resolveTwo();
    });
    const http = new CacheHttp({ url, headers: {}, timeoutMs: 60_000, concurrency: 4 });
    try {
      const cancelled = new AbortController();
      const other = new AbortController();
      const mine = http.get('cas/a', 1024, () => undefined, cancelled.signal);
      const theirs = http.get('cas/b', 1024, () => undefined, other.signal);
      await two;
      cancelled.abort();
      await expect(mine).rejects.toBeInstanceOf(ConnectionError);
      const stillRunning = await Promise.race([
        theirs.then(
          () => 'ended',
          () => 'ended',
        ),
        Promise.resolve('running'),
      ]);
      expect(stillRunning).toBe('running');
      other.abort();
      await expect(theirs).rejects.toBeInstanceOf(ConnectionError);
      // A request started with an already cancelled signal never goes out.
      await expect(http.get('cas/c', 1024, () => undefined, cancelled.signal)).rejects.toThrow(/cancelled/);
      expect(received).toBe(2);
    } finally {
      http.close();
    }
  });
});
