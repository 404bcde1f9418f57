import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackHost } from '@packer/core/contract';

/** Why a WebSocket handshake is refused: the HTTP status and a line for the peer. */
export interface HandshakeRefusal {
  status: 401 | 403;
  /** Which check failed: a short, fixed word for logs (the message may quote what the peer sent). */
  reason: 'host' | 'origin' | 'token';
  message: string;
}

/** Longest piece of a peer's header quoted back in a refusal or a log line. */
export const QUOTED_HEADER_CHARS = 200;

/** A peer's header value cut to QUOTED_HEADER_CHARS (a 15 KB Origin costs a log line no more), saying how long it was. */
export function clipHeader(value: string): string {
  return value.length <= QUOTED_HEADER_CHARS ? value : `${value.slice(0, QUOTED_HEADER_CHARS)}… (${value.length} characters)`;
}

/** A peer's header value, JSON-quoted and clipped, for a refusal message. */
export function quoteHeader(value: string | undefined): string {
  const text = value ?? '';
  return text.length <= QUOTED_HEADER_CHARS ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, QUOTED_HEADER_CHARS))}… (${text.length} characters)`;
}

export interface HandshakeRequest {
  /** The request target, e.g. `/?token=…`. */
  url: string | undefined;
  headers: { host?: string | undefined; origin?: string | undefined };
}

export interface HandshakePolicy {
  token: string;
  /** Origins allowed besides loopback http(s) origins (`daemon.websocket.allowedOrigins`). */
  allowedOrigins: readonly string[];
}

/**
 * Decides whether a WebSocket upgrade may reach JSON-RPC. A browser always sends `Origin`: it must be a
 * loopback http(s) origin or listed in packer.json. A request without `Origin` comes from a non-browser client
 * and passes on the token alone. `Host` must name loopback (a DNS-rebound page names its own host). The token
 * is always required, compared in constant time.
 */
export function checkHandshake(request: HandshakeRequest, policy: HandshakePolicy): HandshakeRefusal | undefined {
  const hostname = hostnameOf(request.headers.host);
  if (hostname === undefined || !isLoopbackHost(hostname)) {
    return { status: 403, reason: 'host', message: `Host ${quoteHeader(request.headers.host)} is not a loopback address.` };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !isAllowedOrigin(origin, policy.allowedOrigins)) {
    return { status: 403, reason: 'origin', message: `Origin ${quoteHeader(origin)} is not allowed; add it to daemon.websocket.allowedOrigins in packer.json.` };
  }
  const given = tokenOf(request.url);
  if (given === undefined || given === '') return { status: 401, reason: 'token', message: 'A token is required: connect with ?token=<contents of .packer/ws-token>.' };
  if (!sameSecret(given, policy.token)) return { status: 401, reason: 'token', message: 'The token does not match .packer/ws-token.' };
  return undefined;
}

/** True for a loopback http(s) origin or one listed (compared as normalised origins). */
export function isAllowedOrigin(origin: string, allowedOrigins: readonly string[]): boolean {
  const normalised = normaliseOrigin(origin);
  if (allowedOrigins.some((allowed) => normaliseOrigin(allowed) === normalised)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

function normaliseOrigin(origin: string): string {
  try {
    const parsed = new URL(origin).origin;
    // Opaque origins (file:, data:) serialise as "null"; keep what was written so only an explicit "null" matches.
    return parsed === 'null' ? origin : parsed;
  } catch {
    return origin;
  }
}

function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

function tokenOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

// Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
