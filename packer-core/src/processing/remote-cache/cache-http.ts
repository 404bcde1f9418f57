import { createReadStream } from 'node:fs';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';

import { BodyTooLarge, ConnectionError, StatusError } from './cache-http-errors.js';
import { HttpGetPool } from './http-get-pool.js';

export { BodyTooLarge, ConnectionError, StatusError };

/** A body to send: bytes in memory, or a range of a file streamed from disk. */
export type RequestBody = Buffer | { file: string; start: number; size: number };

export interface CacheHttpOptions {
  url: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  /** Sockets open at once (requests past it wait for one). */
  concurrency: number;
}

/**
 * The HTTP side of the Bazel remote cache protocol on `node:http`: one keep-alive agent bounding the sockets,
 * basic auth taken from the URL (fetch refuses URLs with credentials), a timeout on connecting and on every wait
 * for data, bodies streamed both ways. Knows nothing of blobs; errors carry no URL.
 */
export class CacheHttp {
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly auth: string | undefined;
  private readonly hostname: string;
  private readonly port: string | undefined;
  private readonly basePath: string;
  /** Plain-HTTP GETs go through a lean keep-alive pool (see HttpGetPool); https and PUTs through node:http(s). */
  private readonly gets: HttpGetPool | undefined;
  /** Requests in flight per build signal: one abort listener per signal, not one per request. */
  private readonly bySignal = new WeakMap<AbortSignal, Set<ClientRequest>>();

  constructor(private readonly options: CacheHttpOptions) {
    const base = new URL(options.url);
    const secure = base.protocol === 'https:';
    this.transport = secure ? https : http;
    const agentOptions = { keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.auth =
      base.username || base.password
        ? `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`
        : undefined;
    // Parsed once: a build sends tens of thousands of requests.
    this.hostname = base.hostname.replace(/^\[|\]$/g, '');
    this.port = base.port || undefined;
    this.basePath = base.pathname.replace(/\/+$/, '');
    const named = Object.keys(options.headers).some((name) => name.toLowerCase() === 'authorization');
    const headers = { ...options.headers, ...(this.auth && !named ? { authorization: basicAuth(this.auth) } : {}) };
    // Header names and values node:http would refuse stay with it, so they fail as they always did.
    if (!secure && Object.entries(headers).every(([name, value]) => TOKEN.test(name) && !/[\r\n\0]/.test(value)))
      this.gets = new HttpGetPool({
        host: this.hostname,
        port: Number(base.port || 80),
        hostHeader: base.host,
        basePath: this.basePath,
        headers,
        timeoutMs: options.timeoutMs,
        concurrency: options.concurrency,
      });
  }

  /**
   * GET `<url>/<path>`. 404 resolves with `found: false`; 200 streams the body to `onChunk` (awaited: backpressure;
   * a chunk may be a view into a read buffer, valid only until the call returns or its promise settles: copy it to
   * keep it)
   * and fails once it passes `maxBytes`; any other status is a StatusError.
   */
  async get(
    path: string,
    maxBytes: number,
    onChunk: (chunk: Buffer) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<{ found: boolean; bytes: number }> {
    if (this.gets) return this.gets.get(path, maxBytes, onChunk, signal);
    const response = await this.send('GET', path, undefined, signal);
    if (response.statusCode === 404) {
      response.resume();
      return { found: false, bytes: 0 };
    }
    if (response.statusCode !== 200) {
      response.resume();
      throw new StatusError(response.statusCode ?? 0, `GET ${path}: HTTP ${response.statusCode}`);
    }
    let bytes = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > maxBytes) throw new BodyTooLarge(`GET ${path}: more than the ${maxBytes} bytes expected`);
        await onChunk(chunk);
      }
    } catch (error) {
      response.destroy();
      if (error instanceof BodyTooLarge) throw error;
      throw new ConnectionError(`GET ${path}: ${messageOf(error)}`);
    }
    if (!response.complete) throw new ConnectionError(`GET ${path}: the reply ended early`);
    return { found: true, bytes };
  }

  /** PUT `<url>/<path>`; any 2xx is success, anything else a StatusError. */
  async put(path: string, body: RequestBody, signal?: AbortSignal): Promise<void> {
    const response = await this.send('PUT', path, body, signal);
    response.resume();
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw new StatusError(status, `PUT ${path}: HTTP ${status}`);
  }

  close(): void {
    this.gets?.close();
    this.agent.destroy();
  }

  private send(
    method: 'GET' | 'PUT',
    path: string,
    body: RequestBody | undefined,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    if (signal?.aborted) return Promise.reject(new ConnectionError(`${method} ${path}: cancelled`));
    const size = body === undefined ? 0 : Buffer.isBuffer(body) ? body.length : body.size;
    const request = this.transport.request({
      hostname: this.hostname,
      port: this.port,
      path: `${this.basePath}/${path}`,
      method,
      agent: this.agent,
      auth: this.auth,
      headers:
        method === 'PUT'
          ? { ...this.options.headers, 'content-length': String(size), 'content-type': 'application/octet-stream' }
          : this.options.headers,
    });
    if (signal) this.trackUntilClosed(request, signal);
    return new Promise<IncomingMessage>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        request.destroy();
        reject(
          error instanceof StatusError || error instanceof ConnectionError
            ? error
            : new ConnectionError(`${method} ${path}: ${messageOf(error)}`),
        );
      };
      request.setTimeout(this.options.timeoutMs, () =>
        fail(new ConnectionError(`${method} ${path}: no reply within ${this.options.timeoutMs} ms`)),
      );
      request.on('error', fail);
      request.on('response', (response) => {
        if (settled) return response.resume();
        settled = true;
        // Past the headers, a stalled body is a timeout too.
        response.setTimeout?.(this.options.timeoutMs, () =>
          response.destroy(new Error(`no data within ${this.options.timeoutMs} ms`)),
        );
        resolve(response);
      });
      if (body === undefined) request.end();
      else if (Buffer.isBuffer(body)) request.end(body);
      else if (body.size === 0) request.end();
      else
        createReadStream(body.file, { start: body.start, end: body.start + body.size - 1 })
          .on('error', fail)
          .pipe(request);
    });
  }

  /** A cancelled build destroys its requests (and so their replies) in flight. */
  private trackUntilClosed(request: ClientRequest, signal: AbortSignal): void {
    let requests = this.bySignal.get(signal);
    if (!requests) {
      const tracked = new Set<ClientRequest>();
      requests = tracked;
      this.bySignal.set(signal, tracked);
      signal.addEventListener(
        'abort',
        () => {
          for (const item of tracked) item.destroy(new Error('cancelled'));
          tracked.clear();
        },
        { once: true },
      );
    }
    requests.add(request);
    request.once('close', () => requests.delete(request));
  }
}

/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The Authorization value node:http sends for its `auth` option. */
function basicAuth(auth: string): string {
  return `Basic ${Buffer.from(auth).toString('base64')}`;
}

function messageOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
