import { describe, expect, it } from 'vitest';
import { checkHandshake } from '../../../daemon/src/rpc/websocket-handshake.js';
import { checkPageRequest, checkPageToken } from './page-request-policy.js';

// The Studio page server must refuse exactly what the daemon's WebSocket refuses (Host, Origin).
describe('the Studio page server checks requests as the daemon checks WebSocket handshakes', () => {
  const token = 'a'.repeat(64);
  const cases: { host?: string; origin?: string }[] = [
    { host: '127.0.0.1:8123' },
    { host: 'localhost:8123' },
    { host: '[::1]:8123' },
    { host: 'evil.example:8123' },
    { host: '127.0.0.1.nip.io:8123' },
    {},
    { host: '127.0.0.1:8123', origin: 'http://127.0.0.1:8123' },
    { host: '127.0.0.1:8123', origin: 'http://localhost:3000' },
    { host: '127.0.0.1:8123', origin: 'https://evil.example' },
    { host: '127.0.0.1:8123', origin: 'null' },
    { host: '127.0.0.1:8123', origin: 'file://' },
    { host: '127.0.0.1:8123', origin: 'x'.repeat(20_000) },
  ];
  it.each(cases)('%j', (headers) => {
    const daemon = checkHandshake({ url: `/?token=${token}`, headers }, { token, allowedOrigins: [] });
    const page = checkPageRequest(headers);
    expect(page?.status).toBe(daemon?.status);
    expect(page?.reason).toBe(daemon?.reason);
    if (page) expect(page.message.length).toBeLessThan(400);
  });

  it('the token must be one the server read from .packer/ws-token', () => {
    expect(checkPageToken(token, [token])).toBeUndefined();
    expect(checkPageToken(token, ['b'.repeat(64), token])).toBeUndefined();
    expect(checkPageToken('b'.repeat(64), [token])).toMatchObject({
      status: 401,
      message: 'The token does not match .packer/ws-token.',
    });
    expect(checkPageToken(undefined, [token])).toMatchObject({ status: 401, reason: 'token' });
    expect(checkPageToken('', [token])).toMatchObject({ status: 401, reason: 'token' });
  });
});
