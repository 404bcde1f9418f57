import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
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
