import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PackerError } from '@packer/core/contract/runtime';
import { checkPageRequest, checkPageToken, type PageRefusal } from './page-request-policy.js';

export interface StudioPageServerOptions {
  /** The built page (studio-web/dist). */
  webRoot: string;
  /** Loopback address to listen on. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The daemon's current WebSocket url and token; asked on every `POST /studio/endpoint`. */
  endpoint(): Promise<{ url: string; token: string }>;
  /** Tokens the page may present: the one in the printed URL, and every one `endpoint` returns is added. */
  knownTokens: Set<string>;
}

export interface StudioPageServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

// The page talks to its own origin and to the daemon's loopback WebSocket, and runs only its own bundle.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://[::1]:* ws://localhost:*; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * Serves the reference Studio's static files on loopback, and trades a token the page holds for the daemon's
 * current WebSocket url and token (a restarted daemon has a new token). Every request passes the same Host and
 * Origin checks as the daemon's WebSocket; the endpoint also needs the token, which reaches the page in the
 * URL's fragment and so never appears in a request line or a log.
 */
export async function startStudioPageServer(options: StudioPageServerOptions): Promise<StudioPageServer> {
  const webRoot = path.resolve(options.webRoot);
  if (!existsSync(path.join(webRoot, 'index.html'))) {
    throw new PackerError(
      'NOT_READY',
      `The Studio page is not built: ${path.join(webRoot, 'index.html')} is missing.`,
      { webRoot, hint: 'Run `npm run build` at the repository root.' },
    );
  }
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: { message: error instanceof Error ? error.message : String(error) } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refused = checkPageRequest({ host: request.headers.host, origin: request.headers.origin });
    if (refused) return refuse(response, refused);
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname === '/studio/endpoint') {
      if (request.method !== 'POST')
        return sendJson(response, 405, { error: { message: 'Use POST.' } }, { Allow: 'POST' });
      const authorization = request.headers.authorization ?? '';
      const given = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
      const badToken = checkPageToken(given, options.knownTokens);
      if (badToken) return refuse(response, badToken);
      try {
        const endpoint = await options.endpoint();
        options.knownTokens.add(endpoint.token);
        return sendJson(response, 200, { url: endpoint.url, token: endpoint.token });
      } catch (error) {
        const shaped = error as { code?: string; message?: string; data?: { hint?: string } };
        return sendJson(response, 503, {
          error: { code: shaped.code, message: shaped.message ?? String(error), hint: shaped.data?.hint },
        });
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendJson(response, 405, { error: { message: 'Use GET.' } }, { Allow: 'GET, HEAD' });
    const file = staticFile(webRoot, pathname);
    if (!file) return sendJson(response, 404, { error: { message: `No such file: ${pathname}` } });
    const body = readFileSync(file);
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `The Studio page server cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}. Choose another --port, or 0 for a free one.`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A file of the built page: `/` is index.html; nothing outside webRoot, no dot-files, no folders. */
function staticFile(webRoot: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split('/').some((segment) => segment.startsWith('.'))) return undefined;
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = path.resolve(webRoot, relative);
  if (!file.startsWith(webRoot + path.sep) || !existsSync(file) || !CONTENT_TYPES[path.extname(file)]) return undefined;
  return file;
}

function refuse(response: ServerResponse, refusal: PageRefusal): void {
  sendJson(response, refusal.status, {
    error: { reason: refusal.reason, message: refusal.message, ...(refusal.hint ? { hint: refusal.hint } : {}) },
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
