import { isAllowedOrigin, isLoopbackHostHeader, quoteHeader as quote, sameSecret } from '@packer/client';

/** Why the Studio page server refuses a request: the HTTP status and a line for the browser. */
export interface PageRefusal {
  status: 401 | 403;
  reason: 'host' | 'origin' | 'token';
  message: string;
  hint?: string;
}

/**
 * The daemon's WebSocket handshake checks, applied to the page server: `Host` must name loopback (a DNS-rebound
 * page names its own host), and an `Origin`, when sent, must be a loopback http(s) origin. The test next to this
 * file holds both to the same verdicts.
 */
export function checkPageRequest(headers: {
  host?: string | undefined;
  origin?: string | undefined;
}): PageRefusal | undefined {
  if (!isLoopbackHostHeader(headers.host))
    return { status: 403, reason: 'host', message: `Host ${quote(headers.host)} is not a loopback address.` };
  if (headers.origin !== undefined && !isAllowedOrigin(headers.origin)) {
    return {
      status: 403,
      reason: 'origin',
      message: `Origin ${quote(headers.origin)} is not allowed; the Studio page is served to loopback origins only.`,
    };
  }
  return undefined;
}

/** The token check: the one presented must be one of the daemon's tokens this server has read, compared in constant
 * time. */
export function checkPageToken(given: string | undefined, known: Iterable<string>): PageRefusal | undefined {
  const hint =
    'Open the URL that `packer studio` printed: the token is in its #fragment (a restarted `packer studio` prints a new one).';
  if (!given)
    return {
      status: 401,
      reason: 'token',
      message: 'A token is required: open the page with #token=<contents of .packer/ws-token>.',
      hint,
    };
  let matched = false;
  for (const token of known) matched = sameSecret(given, token) || matched;
  return matched
    ? undefined
    : { status: 401, reason: 'token', message: 'The token does not match .packer/ws-token.', hint };
}
