import { lstatSync, readdirSync, watch, type Dirent, type FSWatcher, type Stats } from 'node:fs';
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
  /** The folder when its watch began (see `folderIdentity`): its own events are told apart from a child's by it. */
  readonly identity: string;
  /** Watched subfolders, by absolute path, so that a folder removed or moved away takes its subtree's watches along. */
  readonly children: Set<string>;
}

/** Codes of a folder the daemon's user may not read: it is left unwatched (the scan cannot read it either). */
const UNREADABLE = new Set(['EACCES', 'EPERM']);

class FolderWatches implements WatchSubscription {
  readonly backend: WatchBackendName = 'fs-watch';
  readonly #root: string;
  /** `#root` with its separator: every path this backend meets starts with it. */
  readonly #rootPrefix: string;
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
    this.#rootPrefix = withSeparator(root);
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
   * the file system gave it the inode of the one it replaced. Throws what the OS refused for `top` (unless it is
   * unreadable and `report`: a new folder the daemon may not read), and a watch limit anywhere. A folder that vanished
   * is skipped (its parent reports it); folders that cannot be read are skipped and named in one report per walk.
   */
  async #watchTree(top: string, { report, replace }: { report: boolean; replace: boolean }): Promise<void> {
    if (replace) this.#unwatch(top);
    // Each folder with the watch of the parent that listed it: when another walk replaced that parent meanwhile (a
    // folder removed and created again during a walk), the folder is that walk's to cover, and watching it here
    // would leave a watch its parent does not know, one a later removal of the parent would never stop.
    const stack: Array<[string, FolderWatch | undefined]> = [[top, this.#watches.get(path.dirname(top))]];
    const unreadable: string[] = [];
    let firstError: unknown;
    let sliceStart = performance.now();
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      if (this.#sink.closed) return;
      const [folder, parent] = item;
      if (folder !== top && this.#watches.get(path.dirname(folder)) !== parent) continue;
      let entries: Dirent[];
      let watched: FolderWatch;
      try {
        watched = this.#watchFolder(folder);
        entries = readdirSync(folder, { withFileTypes: true });
      } catch (error) {
        const code = watcherErrorCode(error);
        if (isWatchLimitCode(code) || (folder === top && !(report && UNREADABLE.has(code ?? '')))) throw error;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') {
          unreadable.push(folder);
          firstError ??= error;
        }
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
        if (isFolder) stack.push([entryPath, watched]);
      }
      if (performance.now() - sliceStart >= WALK_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    if (unreadable.length > 0) {
      const more = unreadable.length > 1 ? ` and ${unreadable.length - 1} more` : '';
      this.#sink.report(
        describeWatcherError(
          firstError,
          `Cannot watch folder "${unreadable[0]}"${more}; changes there go unseen`,
          false,
        ),
      );
    }
  }

  /** Starts watching `folder`, or returns its watch when it has one. Throws what the OS refuses. */
  #watchFolder(folder: string): FolderWatch {
    const existing = this.#watches.get(folder);
    if (existing) return existing;
    const identity = folderIdentity(lstatSync(folder));
    const children = new Set<string>();
    const watcher = watch(folder, { persistent: true }, (eventType, name) => {
      if (this.#watches.get(folder) === watched) this.#receive(folder, watched, eventType, name);
    });
    const watched: FolderWatch = { watcher, identity, children };
    watcher.on('error', (error) => {
      if (this.#watches.get(folder) !== watched) return;
      this.#unwatch(folder);
      this.#sink.report(describeWatcherError(error, `Stopped watching folder "${folder}"`, true));
    });
    this.#watches.set(folder, watched);
    if (folder !== this.#root) this.#watches.get(path.dirname(folder))?.children.add(folder);
    return watched;
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
  #receive(folder: string, watched: FolderWatch, eventType: string, name: string | null): void {
    try {
      if (this.#sink.closed) return;
      // libuv names no entry when it cannot tell which one changed (not on Linux): list the folder again.
      if (name === null) {
        void this.#rewalk(folder);
        return;
      }
      const changed = withSeparator(folder) + name;
      if (this.#isIgnored(changed)) return;
      // libuv names an event on the watched folder itself (removed, moved away, its attributes changed) by the
      // folder's own base name. Told apart from a child of that name by the child not existing; the folder is gone
      // when nothing, or another folder, stands at its path now.
      if (name === path.basename(folder) && !lstatSync(changed, { throwIfNoEntry: false })) {
        const now = lstatSync(folder, { throwIfNoEntry: false });
        if (now?.isDirectory() && folderIdentity(now) === watched.identity) {
          if (eventType === 'change') return;
        } else {
          // Its parent's watch reports it (and watches what took its place); only its watches go here.
          this.#unwatch(folder);
          if (folder === this.#root)
            this.#sink.report({ reason: `The watched root "${folder}" was removed or replaced`, fatal: true });
          return;
        }
      }
      if (eventType === 'change') {
        this.#sink.push({ type: 'change', path: changed });
        return;
      }
      const stat = lstatSync(changed, { throwIfNoEntry: false });
      if (stat === undefined) {
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

  /** Watches a folder that appeared (or was replaced) and reports what it holds. Never rejects. */
  async #rewalk(folder: string): Promise<void> {
    try {
      await this.#watchTree(folder, { report: true, replace: true });
    } catch (error) {
      // A folder removed before its watch started has already been reported as removed.
      let present = true;
      try {
        present = lstatSync(folder, { throwIfNoEntry: false })?.isDirectory() ?? false;
      } catch {
        // Cannot tell (its parent just became unreadable): say what failed.
      }
      if (present) this.#sink.report(describeWatcherError(error, `Cannot watch new folder "${folder}"`, true));
    }
  }

  // Every path here is below the root (a folder walked or watched, plus a name): no path.relative needed.
  readonly #isIgnored = (absolutePath: string): boolean =>
    this.#ignore.matches(
      path.sep === '/' ? absolutePath.slice(this.#rootPrefix.length) : relativeToRoot(this.#root, absolutePath),
    );
}

/** The prefix of a folder's entries' paths (the file system root already ends in a separator). */
function withSeparator(folder: string): string {
  return folder.endsWith(path.sep) ? folder : folder + path.sep;
}

/**
 * Which folder stands at a path: its inode and birth time. A folder removed and created again may get the same inode
 * number (ext4 and tmpfs reuse them at once), but not the same birth time (where the file system keeps one).
 */
function folderIdentity(stat: Stats): string {
  return `${stat.ino}:${stat.birthtimeMs}`;
}
