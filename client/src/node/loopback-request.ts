import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackHost } from '@packer/core/contract/runtime';

// The checks every loopback HTTP endpoint of the packer applies (the daemon's WebSocket handshake and the
// Studio page server): one copy, so the two can never disagree about who may connect.

/** Longest piece of a peer's header quoted back in a refusal or a log line. */
export const QUOTED_HEADER_CHARS = 200;

/** A peer's header value cut to QUOTED_HEADER_CHARS (a 15 KB Origin costs a log line no more), saying how long it
 * was. */
export function clipHeader(value: string): string {
  return value.length <= QUOTED_HEADER_CHARS
    ? value
    : `${value.slice(0, QUOTED_HEADER_CHARS)}… (${value.length} characters)`;
}

/** A peer's header value, JSON-quoted and clipped, for a refusal message. */
export function quoteHeader(value: string | undefined): string {
  const text = value ?? '';
  return text.length <= QUOTED_HEADER_CHARS
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, QUOTED_HEADER_CHARS))}… (${text.length} characters)`;
}

/** True when a `Host` header names a loopback address (a DNS-rebound page names its own host). */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  try {
    return isLoopbackHost(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

/** True for a loopback http(s) origin or one listed (compared as normalised origins). */
export function isAllowedOrigin(origin: string, allowedOrigins: readonly string[] = []): boolean {
  const normalised = normaliseOrigin(origin);
  if (allowedOrigins.some((allowed) => normaliseOrigin(allowed) === normalised)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** Compares a presented secret with the expected one in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
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
