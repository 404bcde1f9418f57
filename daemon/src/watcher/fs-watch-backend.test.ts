import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WatcherErrorInfo, WatchSubscription } from './watcher.js';

// The inotify watch limit (fs.inotify.max_user_watches) is machine-wide, so a test cannot lower it without
// disturbing every other process: fs.watch is made to refuse its (limit+1)th watch the way the kernel does (ENOSPC).
const limit = vi.hoisted(() => ({ watches: Number.POSITIVE_INFINITY, started: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const watch = ((...args: Parameters<typeof fs.watch>) => {
    if (++limit.started > limit.watches)
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
    return fs.watch(...args);
  }) as typeof fs.watch;
  return { ...fs, default: { ...fs, watch }, watch };
});

const { fsWatchBackend } = await import('./fs-watch-backend.js');
const { WatcherSubscribeError } = await import('./watcher-error.js');

const roots: string[] = [];
const subscriptions: WatchSubscription[] = [];
afterEach(async () => {
  await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  limit.watches = Number.POSITIVE_INFINITY;
  limit.started = 0;
});

function tree(folders: string[]): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'packer-watch-limit-')));
  roots.push(root);
  for (const folder of folders) mkdirSync(path.join(root, folder), { recursive: true });
  return root;
}

describe('fs-watch backend at the inotify watch limit', () => {
  it('refuses to start on a tree with more folders than watches left, saying how to raise the limit', async () => {
    const root = tree(['a/b', 'c']);
    limit.watches = 2;
    const subscribing = fsWatchBackend.subscribe({ root, ignore: [], onBatch: () => {}, onError: () => {} });
    await expect(subscribing).rejects.toBeInstanceOf(WatcherSubscribeError);
    await expect(subscribing).rejects.toMatchObject({
      code: 'ENOSPC',
      info: { fatal: true, hint: expect.stringContaining('fs.inotify.max_user_watches') },
    });
  });

  it('reports a fatal error when a new folder cannot be watched, so the daemon rescans', async () => {
    const root = tree(['a']);
    limit.watches = 2;
    const errors: WatcherErrorInfo[] = [];
    subscriptions.push(
      await fsWatchBackend.subscribe({ root, ignore: [], onBatch: () => {}, onError: (error) => errors.push(error) }),
    );
    mkdirSync(path.join(root, 'new', 'deeper'), { recursive: true });
    await vi.waitFor(() => expect(errors).toContainEqual(expect.objectContaining({ code: 'ENOSPC', fatal: true })), {
      timeout: 10_000,
      interval: 10,
    });
  });
});

describe('fs-watch backend when folders are replaced under it', () => {
  it('reports the root removed and created again as fatal, so the daemon watches the new one', async () => {
    const root = tree([]);
    const errors: WatcherErrorInfo[] = [];
    subscriptions.push(
      await fsWatchBackend.subscribe({ root, ignore: [], onBatch: () => {}, onError: (error) => errors.push(error) }),
    );
    rmSync(root, { recursive: true });
    mkdirSync(root);
    await vi.waitFor(
      () =>
        expect(errors).toContainEqual(expect.objectContaining({ fatal: true, reason: expect.stringContaining(root) })),
      { timeout: 10_000, interval: 10 },
    );
  });

  it('keeps one watch per folder through trees replaced while they are being walked, then follows them when moved', async () => {
    const root = tree([]);
    const events: Array<{ type: string; path: string }> = [];
    subscriptions.push(
      await fsWatchBackend.subscribe({
        root,
        ignore: [],
        onBatch: (batch) => events.push(...batch.events),
        onError: (error) => events.push({ type: 'error', path: error.reason }),
      }),
    );
    const deep = path.join('a', 'p', 'q', 'r');
    for (let round = 1; round <= 5; round++) {
      rmSync(path.join(root, 'a'), { recursive: true, force: true });
      for (let folder = 0; folder < 20; folder++) mkdirSync(path.join(root, deep, `f${folder}`), { recursive: true });
      const marker = path.join(root, deep, `round-${round}.png`);
      writeFileSync(marker, 'x');
      await vi.waitFor(() => expect(events).toContainEqual({ type: 'add', path: marker }), { timeout: 10_000 });
    }
    renameSync(path.join(root, 'a'), path.join(root, 'moved'));
    const later = path.join(root, 'moved', 'p', 'q', 'r', 'f7', 'later.png');
    writeFileSync(later, 'x');
    await vi.waitFor(() => expect(events).toContainEqual({ type: 'add', path: later }), { timeout: 10_000 });
    const stale = events.filter((event) => event.type !== 'unlink' && event.path.includes(`${path.sep}a${path.sep}p`));
    expect(stale.filter((event) => event.path.endsWith('later.png'))).toEqual([]);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
  });
});
