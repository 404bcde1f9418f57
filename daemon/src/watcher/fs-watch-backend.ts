import { lstatSync, readdirSync, watch, type Dirent, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { EventSink } from './event-sink.js';
import { createIgnoreMatcher, type IgnoreMatcher } from './ignore-matcher.js';
import { relativeToRoot, resolveWatchRoot } from './watch-root.js';
import { describeWatcherError, isWatchLimitCode, watcherErrorCode, WatcherSubscribeError } from './watcher-error.js';
import type { WatchBackendName, WatcherBackend, WatchOptions, WatchSubscription } from './watcher.js';

/**
 * Node's own `fs.watch`, one per folder (on Linux, one inotify watch per folder, read by libuv on the event loop).
 * The default on Linux, because it keeps nothing per file: @parcel/watcher's inotify backend keeps a native tree
 * with every file's absolute path twice. Measured on this 2-core machine, subscribing to a generated tree:
 * 100k files in 2,382 folders, parcel 0.80 s and +36 MB, this backend 0.16-0.19 s and +14 MB; 1M files in 25,262
 * folders, parcel 6.3 s and +300 MB (the brk heap of a 1M daemon), this backend 1.5-1.9 s and +70 MB. Parcel crawls
 * on its own thread and this walk runs on the event loop, in slices, beside the open's registry load: a warm open
 * to ready at 100k took ~0.3 s longer (2.9-3.3 s against 2.6-2.9 s, alternated runs).
 * A kernel queue overflow is not reported by libuv; the daemon suspects one from the size of a burst, as it does for
 * parcel (DiskSync's overflowSuspectEvents).
 */
export const fsWatchBackend: WatcherBackend = { name: 'fs-watch', subscribe: (options) => FolderWatches.open(options) };

/** How long a walk of new folders runs before it lets the event loop serve others (the daemon answers hello). */
const WALK_SLICE_MS = 20;

interface FolderWatch {
  readonly watcher: FSWatcher;
  /** Watched subfolders, by absolute path, so that a folder removed or moved away takes its subtree's watches along. */
  readonly children: Set<string>;
}

class FolderWatches implements WatchSubscription {
  readonly backend: WatchBackendName = 'fs-watch';
  readonly #root: string;
  readonly #ignore: IgnoreMatcher;
  readonly #sink: EventSink;
  readonly #watches = new Map<string, FolderWatch>();

  static async open(options: WatchOptions): Promise<FolderWatches> {
    const watches = new FolderWatches(resolveWatchRoot(options.root), options);
    try {
      await watches.#watchTree(watches.#root, { report: false, replace: false });
    } catch (error) {
      watches.#closeWatches();
      watches.#sink.close();
      throw new WatcherSubscribeError(describeWatcherError(error, `Cannot watch "${watches.#root}"`, true), {
        cause: error,
      });
    }
    return watches;
  }

  private constructor(root: string, options: WatchOptions) {
    this.#root = root;
    this.#ignore = createIgnoreMatcher(options.ignore);
    this.#sink = new EventSink(options);
  }

  close(): Promise<void> {
    this.#sink.close();
    this.#closeWatches();
    return Promise.resolve();
  }

  /**
   * Watches `top` and every folder below it, each watch started before its folder is listed, so that whatever is
   * created meanwhile is either listed or reported (or both). With `report`, everything found is reported as added:
   * a folder created or moved in may hold files that were there before its watch began. With `replace`, the watches
   * of `top` and below are started afresh: a folder that appeared under a watched name is a new folder, even when
   * the file system gave it the inode of the one it replaced. Throws what the OS refused for `top`, and a watch limit
   * anywhere; a folder that vanished or cannot be read is skipped (its parent reports it).
   */
  async #watchTree(top: string, { report, replace }: { report: boolean; replace: boolean }): Promise<void> {
    if (replace) this.#unwatch(top);
    const stack = [top];
    let sliceStart = performance.now();
    for (let folder = stack.pop(); folder !== undefined; folder = stack.pop()) {
      if (this.#sink.closed) return;
      let entries: Dirent[];
      try {
        this.#watchFolder(folder);
        entries = readdirSync(folder, { withFileTypes: true });
      } catch (error) {
        const code = watcherErrorCode(error);
        if (folder === top || isWatchLimitCode(code)) throw error;
        if (code !== 'ENOENT' && code !== 'ENOTDIR')
          this.#sink.report(describeWatcherError(error, `Cannot watch folder "${folder}"`, false));
        continue;
      }
      const prefix = withSeparator(folder);
      for (const entry of entries) {
        // A first walk only needs the folders: files are neither reported nor watched one by one.
        const isFolder = entry.isDirectory();
        if (!report && !isFolder) continue;
        const entryPath = prefix + entry.name;
        if (this.#isIgnored(entryPath)) continue;
        if (report) this.#sink.push({ type: 'add', path: entryPath });
        if (isFolder) stack.push(entryPath);
      }
      if (performance.now() - sliceStart >= WALK_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  #watchFolder(folder: string): void {
    if (this.#watches.has(folder)) return;
    const children = new Set<string>();
    const watcher = watch(folder, { persistent: true }, (eventType, name) => {
      if (this.#watches.get(folder) === watched) this.#receive(folder, eventType, name);
    });
    const watched: FolderWatch = { watcher, children };
    watcher.on('error', (error) => {
      if (this.#watches.get(folder) !== watched) return;
      this.#unwatch(folder);
      this.#sink.report(describeWatcherError(error, `Stopped watching folder "${folder}"`, true));
    });
    this.#watches.set(folder, watched);
    if (folder !== this.#root) this.#watches.get(path.dirname(folder))?.children.add(folder);
  }

  /** Stops watching `folder` and everything below it. */
  #unwatch(folder: string): void {
    const watched = this.#watches.get(folder);
    if (!watched) return;
    this.#watches.delete(folder);
    watched.watcher.close();
    for (const child of watched.children) this.#unwatch(child);
    this.#watches.get(path.dirname(folder))?.children.delete(folder);
  }

  #closeWatches(): void {
    for (const { watcher } of this.#watches.values()) watcher.close();
    this.#watches.clear();
  }

  // Runs inside an fs.watch listener: it must never throw.
  #receive(folder: string, eventType: string, name: string | null): void {
    try {
      if (this.#sink.closed) return;
      // libuv names no entry when it cannot tell which one changed: list the folder again.
      if (name === null) {
        void this.#rewalk(folder);
        return;
      }
      const changed = withSeparator(folder) + name;
      if (this.#isIgnored(changed)) return;
      if (eventType === 'change') {
        this.#sink.push({ type: 'change', path: changed });
        return;
      }
      const stat = lstatSync(changed, { throwIfNoEntry: false });
      if (stat === undefined) {
        // The watched folder itself went (removed, or moved away): libuv names it by its own base name. Its parent's
        // watch reports it; only its watches go here.
        if (name === path.basename(folder) && !lstatSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
          this.#unwatch(folder);
          if (folder === this.#root)
            this.#sink.report({ reason: `The watched root "${folder}" was removed or moved away`, fatal: true });
          return;
        }
        this.#sink.push({ type: 'unlink', path: changed });
        this.#unwatch(changed);
        return;
      }
      this.#sink.push({ type: 'add', path: changed });
      // A folder that appeared, or a file or symlink that took a folder's name (its watches go).
      if (stat.isDirectory()) void this.#rewalk(changed);
      else this.#unwatch(changed);
    } catch (thrown) {
      this.#sink.report(describeWatcherError(thrown, 'Failed to process fs.watch events', false));
    }
  }

  /** Watches a folder that appeared (or was replaced) and reports what it holds. */
  async #rewalk(folder: string): Promise<void> {
    try {
      await this.#watchTree(folder, { report: true, replace: true });
    } catch (error) {
      // A folder removed before its watch started has already been reported as removed.
      if (lstatSync(folder, { throwIfNoEntry: false })?.isDirectory())
        this.#sink.report(describeWatcherError(error, `Cannot watch new folder "${folder}"`, true));
    }
  }

  // Every path here is below the root (a folder walked or watched, plus a name): no path.relative needed.
  readonly #isIgnored = (absolutePath: string): boolean =>
    this.#ignore.matches(
      path.sep === '/'
        ? absolutePath.slice(withSeparator(this.#root).length)
        : relativeToRoot(this.#root, absolutePath),
    );
}

/** The prefix of a folder's entries' paths (the file system root already ends in a separator). */
function withSeparator(folder: string): string {
  return folder.endsWith(path.sep) ? folder : folder + path.sep;
}
