import { watch, type FSWatcher } from 'chokidar';
import { EventSink } from './event-sink.js';
import { createIgnoreMatcher } from './ignore-matcher.js';
import { relativeToRoot, resolveWatchRoot } from './watch-root.js';
import { describeWatcherError, isWatchLimitCode, watcherErrorCode, WatcherSubscribeError } from './watcher-error.js';
import type { WatcherBackend, WatchEventType, WatchOptions, WatchSubscription } from './watcher.js';

const EVENT_TYPES: Readonly<Partial<Record<string, WatchEventType>>> = {
  add: 'add',
  addDir: 'add',
  change: 'change',
  unlink: 'unlink',
  unlinkDir: 'unlink',
};

/**
 * Pure-JavaScript backend on chokidar 5: no native code, but one inotify watch per file and a slow start on big
 * trees (DESIGN §10). Used when @parcel/watcher cannot load or `PACKER_WATCHER=chokidar` asks for it.
 */
export const chokidarBackend: WatcherBackend = { name: 'chokidar', subscribe: subscribeWithChokidar };

async function subscribeWithChokidar(options: WatchOptions): Promise<WatchSubscription> {
  const root = resolveWatchRoot(options.root);
  const ignore = createIgnoreMatcher(options.ignore);
  const sink = new EventSink(options);
  const watcher = watch(root, {
    ignoreInitial: true,
    // chokidar's editor-save smoothing holds every unlink back 100 ms (and hides swap files): a cookie written after
    // a delete would then arrive first and a synced read would miss the delete. The debounce batcher already folds
    // unlink + add of one path into a change.
    atomic: false,
    // Like parcel: report symlinks as entries, never watch what they point to (it may lie outside the project).
    followSymlinks: false,
    // chokidar 5 dropped glob support; it takes predicates over the paths it meets.
    ignored: (path: string) => ignore.matches(relativeToRoot(root, path)),
  });
  watcher.on('all', (event, path) => {
    const type = EVENT_TYPES[event];
    if (type !== undefined) sink.push({ type, path });
  });
  try {
    await untilReady(watcher, sink);
  } catch (error) {
    sink.close();
    await watcher.close();
    throw error;
  }
  return {
    backend: 'chokidar',
    async close() {
      sink.close();
      await watcher.close();
    },
  };
}

/**
 * Resolves on `ready`. A watch-limit error before then rejects, because the tree is only partly watched;
 * any other error is reported and watching goes on.
 */
function untilReady(watcher: FSWatcher, sink: EventSink): Promise<void> {
  return new Promise((resolve, reject) => {
    let ready = false;
    watcher.on('error', (error: unknown) => {
      const info = describeWatcherError(error, 'chokidar watcher error', isWatchLimitCode(watcherErrorCode(error)));
      if (!ready && info.fatal) reject(new WatcherSubscribeError(info, { cause: error }));
      else sink.report(info);
    });
    watcher.once('ready', () => {
      ready = true;
      resolve();
    });
  });
}
