import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createParcelBackend, nativeIgnores, type ParcelWatcherModule } from './parcel-backend.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The daemon's watch list for a project ignoring `**\/.DS_Store` and `**\/*.tmp` (see DiskSync.subscribe). */
const DAEMON_LIST = ['.packer/**', '.git/**', '.hg/**', 'node_modules/**', 'build/**', '**/.DS_Store', '**/*.tmp'];

describe('what @parcel/watcher is asked to skip natively', () => {
  it('gets the daemon list as folder paths, without a RegExp it would run on every path of its crawl', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'packer-native-ignores-'));
    dirs.push(root);
    const asked: unknown[] = [];
    const parcel: ParcelWatcherModule = {
      subscribe: (_dir, _callback, options) => {
        asked.push(options?.ignore);
        return Promise.resolve({ unsubscribe: () => Promise.resolve() });
      },
    };
    const subscription = await createParcelBackend(parcel).subscribe({
      root,
      ignore: DAEMON_LIST,
      onBatch: () => undefined,
      onError: () => undefined,
    });
    await subscription.close();
    // std::regex over 100k paths: ~950 ms of the crawl's CPU with the list as one RegExp, ~380 ms without.
    expect(asked).toEqual([['.packer', '.git', '.hg', 'node_modules', 'build']]);
  });

  it('keeps a RegExp for globs over many folders, and never hides more than the globs', () => {
    const native = nativeIgnores(['./Temp/', '**/Library/**', 'cache(1)/**', '**/*.tmp', '**']);
    expect(native.filter((item) => typeof item === 'string')).toEqual(['Temp']);
    const regex = native.find((item): item is RegExp => item instanceof RegExp);
    expect(regex?.test('a/Library/b.png')).toBe(true);
    expect(regex?.test('cache(1)/x')).toBe(true);
    // Name patterns and a bare `**` are left to the JS filter: parcel would otherwise skip more than a path prefix.
    expect(regex?.test('a/x.tmp')).toBe(false);
    expect(regex?.test('assets/a.png')).toBe(false);
  });
});
