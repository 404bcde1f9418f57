import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieSync, removeStaleCookies } from './cookie-sync.js';

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

describe('removeStaleCookies', () => {
  /** The pid of a process that has exited and been reaped: no live daemon has it. */
  function deadPid(): number {
    return spawnSync(process.execPath, ['-e', '0']).pid;
  }

  it('removes only empty regular files named exactly .packer-cookie-<dead pid>-<n> at the top of each root', () => {
    const [a, b] = roots(2) as [string, string];
    const dead = deadPid();
    const stale = [`.packer-cookie-${dead}-1`, `.packer-cookie-${dead}-27`];
    for (const name of stale) writeFileSync(path.join(a, name), '');
    writeFileSync(path.join(b, `.packer-cookie-${dead}-3`), '');
    const kept = [
      `.packer-cookie-${dead}`,
      `.packer-cookie-${dead}-1.png`,
      `.packer-cookie-${dead}-0`,
      `.packer-cookie--1`,
      `x.packer-cookie-${dead}-1`,
      `.packer-cookie-${dead}-4`, // not empty
      `.packer-cookie-${dead}-5`, // a folder
      `.packer-cookie-${dead}-6`, // a symlink to a file
      'hero.png',
    ];
    for (const name of kept.slice(0, 5)) writeFileSync(path.join(a, name), '');
    writeFileSync(path.join(a, kept[5]!), 'not a cookie');
    mkdirSync(path.join(a, kept[6]!));
    symlinkSync(path.join(a, 'hero.png'), path.join(a, kept[7]!));
    writeFileSync(path.join(a, 'hero.png'), '');
    // Cookies are only ever written at the top of a root.
    mkdirSync(path.join(a, 'sub'));
    writeFileSync(path.join(a, 'sub', `.packer-cookie-${dead}-8`), '');

    const removed = removeStaleCookies([a, b, path.join(a, 'missing')]);
    expect(removed.sort()).toEqual(
      [...stale.map((name) => path.join(a, name)), path.join(b, `.packer-cookie-${dead}-3`)].sort(),
    );
    expect(readdirSync(a).sort()).toEqual([...kept, 'sub'].sort());
    expect(readdirSync(b)).toEqual([]);
    expect(readdirSync(path.join(a, 'sub'))).toEqual([`.packer-cookie-${dead}-8`]);
  });

  it("keeps a live daemon's cookie and this process's round trip in flight, but not a cookie of this pid nobody waits for", async () => {
    const [a] = roots(1) as [string];
    // A live process that looks like a packer daemon (its command line names one), as another project's daemon would.
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)', 'packer-daemon'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => live.once('exit', resolve));
    try {
      await new Promise((resolve, reject) => live.once('spawn', resolve).once('error', reject));
      const othersCookie = `.packer-cookie-${live.pid}-1`;
      writeFileSync(path.join(a, othersCookie), '');
      const cookies = new CookieSync();
      const trip = cookies.roundTrip([a], 5_000);
      const inFlight = readdirSync(a).find((name) => name.startsWith(`.packer-cookie-${process.pid}-`));
      // This pid's cookie that no round trip waits for: left by an earlier process that had the same pid.
      const reused = `.packer-cookie-${process.pid}-999999`;
      writeFileSync(path.join(a, reused), '');
      expect(cookies.removeStale([a])).toEqual([path.join(a, reused)]);
      expect(readdirSync(a).sort()).toEqual([inFlight, othersCookie].sort());
      cookies.releaseAll();
      await trip;
    } finally {
      live.kill('SIGKILL');
      await exited;
    }
  });
});
