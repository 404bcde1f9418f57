import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '@packer/core/contract';
import { checkHandshake, isAllowedOrigin } from '../src/rpc/websocket-handshake.js';

const token = 'a'.repeat(64);
const policy = { token, allowedOrigins: ['https://studio.example.com'] };
const request = (url: string | undefined, headers: { host?: string; origin?: string } = {}) => ({
  url,
  headers: { host: '127.0.0.1:4100', ...headers },
});

describe('WebSocket handshake policy', () => {
  it('accepts the token from a loopback or listed origin, or from a client without Origin', () => {
    expect(checkHandshake(request(`/?token=${token}`), policy)).toBeUndefined();
    expect(checkHandshake(request(`/?token=${token}`, { origin: 'http://localhost:5173' }), policy)).toBeUndefined();
    expect(checkHandshake(request(`/?token=${token}`, { origin: 'http://127.0.0.1:3000' }), policy)).toBeUndefined();
    expect(checkHandshake(request(`/?token=${token}`, { origin: 'http://[::1]:8080' }), policy)).toBeUndefined();
    expect(
      checkHandshake(request(`/?token=${token}`, { origin: 'https://studio.example.com' }), policy),
    ).toBeUndefined();
    expect(
      checkHandshake(request(`/?token=${token}`, { origin: 'https://STUDIO.example.com:443' }), policy),
    ).toBeUndefined();
  });

  it('refuses a missing or wrong token with 401', () => {
    expect(checkHandshake(request('/'), policy)?.status).toBe(401);
    expect(checkHandshake(request(undefined), policy)?.status).toBe(401);
    expect(checkHandshake(request('/?token='), policy)?.status).toBe(401);
    expect(checkHandshake(request(`/?token=${'b'.repeat(64)}`), policy)?.status).toBe(401);
    expect(checkHandshake(request(`/?token=${token}x`), policy)?.status).toBe(401);
    expect(checkHandshake(request(`/?token=${token.slice(1)}`), policy)?.status).toBe(401);
  });

  it('refuses a foreign Origin or a non-loopback Host with 403, whatever the token', () => {
    expect(checkHandshake(request(`/?token=${token}`, { origin: 'https://evil.example' }), policy)?.status).toBe(403);
    expect(
      checkHandshake(request(`/?token=${token}`, { origin: 'http://localhost.evil.example' }), policy)?.status,
    ).toBe(403);
    expect(checkHandshake(request(`/?token=${token}`, { origin: 'null' }), policy)?.status).toBe(403);
    expect(checkHandshake(request(`/?token=${token}`, { origin: 'file://' }), policy)?.status).toBe(403);
    expect(checkHandshake(request(`/?token=${token}`, { host: 'evil.example:4100' }), policy)?.status).toBe(403);
    expect(checkHandshake({ url: `/?token=${token}`, headers: {} }, policy)?.status).toBe(403);
  });

  it('knows loopback hosts and origins', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '127.0.0.256', '128.0.0.1', ''])
      expect(isLoopbackHost(host), host).toBe(false);
    expect(isAllowedOrigin('ws://localhost', [])).toBe(false);
    expect(isAllowedOrigin('null', ['null'])).toBe(true);
  });
});
