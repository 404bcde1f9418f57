import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieSync } from './cookie-sync.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function roots(count: number): string[] {
  const base = mkdtempSync(path.join(tmpdir(), 'packer-cookie-'));
  dirs.push(base);
  return Array.from({ length: count }, (_, index) => {
    const root = path.join(base, `root-${index}`);
    mkdirSync(root);
    return root;
  });
}

describe('CookieSync', () => {
  it('resolves a round trip only once its cookie was delivered and settled from every root, and removes the files', async () => {
    const [a, b] = roots(2) as [string, string];
    const cookies = new CookieSync();
    let outcome: string | undefined;
    const trip = cookies.roundTrip([a, b], 5_000).then((result) => (outcome = result));
    const [name] = readdirSync(a);
    expect(name && CookieSync.isCookie(name)).toBe(true);
    expect(readdirSync(b)).toEqual([name]);

    cookies.noteDelivered(path.join(a, name!));
    cookies.settle(cookies.takeDelivered());
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    // Delivered but not settled yet (the changes that came with it are still being applied): still waiting.
    cookies.noteDelivered(path.join(b, name!));
    const taken = cookies.takeDelivered();
    await Promise.resolve();
    expect(outcome).toBeUndefined();
    cookies.settle(taken);
    expect(await trip).toBe('seen');
    expect(existsSync(path.join(a, name!)) || existsSync(path.join(b, name!))).toBe(false);
  });

  it('times out when the watcher never delivers, and forgets the cookie', async () => {
    const [a] = roots(1) as [string];
    const cookies = new CookieSync();
    expect(await cookies.roundTrip([a], 20)).toBe('timeout');
    expect(readdirSync(a)).toEqual([]);
  });

  it('releases every waiter when the watcher closes', async () => {
    const [a] = roots(1) as [string];
    const cookies = new CookieSync();
    const trip = cookies.roundTrip([a], 5_000);
    cookies.releaseAll();
    expect(await trip).toBe('seen');
  });
});
