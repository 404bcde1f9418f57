import { isAllowedOrigin, isLoopbackHostHeader, quoteHeader, sameSecret } from '@packer/client';

export { clipHeader, quoteHeader, isAllowedOrigin, QUOTED_HEADER_CHARS } from '@packer/client';

/** Why a WebSocket handshake is refused: the HTTP status and a line for the peer. */
export interface HandshakeRefusal {
  status: 401 | 403;
  /** Which check failed: a short, fixed word for logs (the message may quote what the peer sent). */
  reason: 'host' | 'origin' | 'token';
  message: string;
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
  if (!isLoopbackHostHeader(request.headers.host)) {
    return {
      status: 403,
      reason: 'host',
      message: `Host ${quoteHeader(request.headers.host)} is not a loopback address.`,
    };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !isAllowedOrigin(origin, policy.allowedOrigins)) {
    return {
      status: 403,
      reason: 'origin',
      message: `Origin ${quoteHeader(origin)} is not allowed; add it to daemon.websocket.allowedOrigins in packer.json.`,
    };
  }
  const given = tokenOf(request.url);
  if (given === undefined || given === '')
    return {
      status: 401,
      reason: 'token',
      message: 'A token is required: connect with ?token=<contents of .packer/ws-token>.',
    };
  if (!sameSecret(given, policy.token))
    return { status: 401, reason: 'token', message: 'The token does not match .packer/ws-token.' };
  return undefined;
}

function tokenOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}
