import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLarge, CacheHttp, ConnectionError, StatusError } from './cache-http.js';

// A real loopback server speaking raw HTTP/1.1 as scripted per path: the replies a cache (or something in front of
// one) may really send, byte for byte, including the framings node:http would have hidden.
type Reply = (socket: net.Socket, head: string) => void;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const clients: CacheHttp[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function scriptedServer(
  reply: (path: string) => Reply,
): Promise<{ url: string; connections: () => number; heads: string[] }> {
  let connections = 0;
  const heads: string[] = [];
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        heads.push(head);
        reply(head.split(' ')[1]!)(socket, head);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/cache`, connections: () => connections, heads };
}

function client(url: string, concurrency = 2, headers: Record<string, string> = {}): CacheHttp {
  const http = new CacheHttp({ url, headers, timeoutMs: 5_000, concurrency });
  clients.push(http);
  return http;
}

async function fetchBody(http: CacheHttp, path: string, maxBytes = 1 << 30): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  const { found } = await http.get(path, maxBytes, (chunk) => void parts.push(Buffer.from(chunk)));
  return found ? Buffer.concat(parts) : undefined;
}

const fixed = (body: Buffer | string, status = '200 OK', extra = ''): Reply => {
  const bytes = Buffer.from(body);
  return (socket) => {
    socket.write(`HTTP/1.1 ${status}\r\nContent-Length: ${bytes.length}\r\n${extra}\r\n`);
    socket.write(bytes);
  };
};

const chunked = (body: Buffer): Reply => {
  return (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let at = 0; at < body.length; at += 7_001) {
      const part = body.subarray(at, at + 7_001);
      socket.write(`${part.length.toString(16)};ext=1\r\n`);
      socket.write(part);
      socket.write('\r\n');
    }
    socket.write('0\r\nX-Trailer: yes\r\n\r\n');
  };
};

const bodyOf = (seed: string, size: number): Buffer => {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += 32) createHash('sha256').update(`${seed}${at}`).digest().copy(out, at);
  return out;
};

describe('CacheHttp GETs over plain HTTP (HttpGetPool)', () => {
  it('reuses keep-alive connections across 200s, 404s with bodies, chunked bodies and split heads, bytes intact', async () => {
    const big = bodyOf('big', 300_000);
    const server = await scriptedServer((path) => {
      if (path.endsWith('/missing')) return fixed('<html>not found</html>', '404 Not Found');
      if (path.endsWith('/chunked')) return chunked(big);
      if (path.endsWith('/split'))
        return (socket) => {
          // The head arrives in two writes, split inside "\r\n\r\n".
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r');
          setImmediate(() => socket.write('\nhello'));
        };
      return fixed(big);
    });
    const http = client(server.url, 2);
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([
        fetchBody(http, 'cas/big'),
        fetchBody(http, 'cas/missing'),
        fetchBody(http, 'cas/chunked'),
        fetchBody(http, 'cas/split'),
      ]);
      expect(results[0]!.equals(big)).toBe(true);
      expect(results[1]).toBeUndefined();
      expect(results[2]!.equals(big)).toBe(true);
      expect(results[3]!.toString()).toBe('hello');
    }
    // 40 requests, never more than two connections.
    expect(server.connections()).toBeLessThanOrEqual(2);
    expect(server.heads).toHaveLength(40);
    expect(server.heads[0]).toMatch(/^GET \/cache\/cas\/\w+ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+$/);
  });

  it('a keep-alive connection the server closed while idle is replaced: the next GET succeeds', async () => {
    const server = await scriptedServer(() => fixed('abc'));
    const http = client(server.url, 1);
    expect((await fetchBody(http, 'ac/1'))!.toString()).toBe('abc');
    // The server drops every idle connection (as nginx does past keepalive_timeout) without a word.
    for (const socket of sockets) socket.destroy();
    expect((await fetchBody(http, 'ac/2'))!.toString()).toBe('abc');
    expect(server.connections()).toBe(2);
  });

  it('Connection: close, and a body framed by the end of the connection, are read whole and not reused', async () => {
    const body = bodyOf('until-close', 50_000);
    const server = await scriptedServer((path) =>
      path.endsWith('/close')
        ? (socket) => {
            socket.write(`HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`);
            socket.end(body);
          }
        : (socket) => {
            socket.write('HTTP/1.0 200 OK\r\n\r\n');
            socket.end(body);
          },
    );
    const http = client(server.url, 1);
    expect((await fetchBody(http, 'cas/close'))!.equals(body)).toBe(true);
    expect((await fetchBody(http, 'cas/eof'))!.equals(body)).toBe(true);
    expect((await fetchBody(http, 'cas/close'))!.equals(body)).toBe(true);
    expect(server.connections()).toBe(3);
  });

  it('an async body callback holds the reply back (backpressure) and every byte arrives in order', async () => {
    const body = bodyOf('slow', 3_000_000);
    const server = await scriptedServer(() => fixed(body));
    const http = client(server.url, 1);
    const parts: Buffer[] = [];
    let inCallback = false;
    const { found, bytes } = await http.get('cas/slow', body.length, async (chunk) => {
      expect(inCallback).toBe(false);
      inCallback = true;
      await new Promise((resolve) => setImmediate(resolve));
      parts.push(Buffer.from(chunk));
      inCallback = false;
    });
    expect(found).toBe(true);
    expect(bytes).toBe(body.length);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    // The connection is still good for the next request.
    expect((await fetchBody(http, 'cas/again'))!.equals(body)).toBe(true);
    expect(server.connections()).toBe(1);
  });

  it('other statuses are StatusErrors, bodies past maxBytes BodyTooLarge, a cut reply a ConnectionError', async () => {
    const server = await scriptedServer((path) => {
      if (path.endsWith('/error')) return fixed('oops', '500 Internal Server Error');
      if (path.endsWith('/long')) return fixed(bodyOf('long', 2_000));
      if (path.endsWith('/long-chunked')) return chunked(bodyOf('long', 20_000));
      return (socket) => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this');
        socket.end();
      };
    });
    const http = client(server.url, 2);
    await expect(fetchBody(http, 'ac/error')).rejects.toSatisfy(
      (error) => error instanceof StatusError && error.status === 500,
    );
    await expect(fetchBody(http, 'cas/long', 1_000)).rejects.toBeInstanceOf(BodyTooLarge);
    await expect(fetchBody(http, 'cas/long-chunked', 10_000)).rejects.toBeInstanceOf(BodyTooLarge);
    await expect(fetchBody(http, 'cas/cut')).rejects.toThrow(ConnectionError);
    await expect(fetchBody(http, 'cas/cut')).rejects.toThrow(/ended early/);
    // Still usable after all that.
    expect((await fetchBody(http, 'cas/long'))!.length).toBe(2_000);
  });

  it('sends the configured headers and basic auth from the URL, and nothing when they could inject a header', async () => {
    const server = await scriptedServer(() => fixed('ok'));
    const withAuth = client(server.url.replace('http://', 'http://us%20er:p%40ss@'), 1, { 'X-Cache-Token': 'tok' });
    expect((await fetchBody(withAuth, 'ac/1'))!.toString()).toBe('ok');
    const head = server.heads.at(-1)!;
    expect(head).toContain('\r\nX-Cache-Token: tok');
    expect(head).toContain(`\r\nauthorization: Basic ${Buffer.from('us er:p@ss').toString('base64')}`);
    // A value with a line break is refused before anything is sent (node:http's check, as before).
    const injected = client(server.url, 1, { 'X-Cache-Token': 'tok\r\nX-Evil: 1' });
    await expect(fetchBody(injected, 'ac/2')).rejects.toThrow();
    expect(server.heads.some((item) => item.includes('X-Evil'))).toBe(false);
  });
});
