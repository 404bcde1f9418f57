import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type ParcelWatcher from '@parcel/watcher';
import { EventSink } from './event-sink.js';
import { createIgnoreMatcher, type IgnoreMatcher } from './ignore-matcher.js';
import { listFolder, relativeToRoot, resolveWatchRoot } from './watch-root.js';
import { describeWatcherError, WatcherSubscribeError } from './watcher-error.js';
import type { WatchBackendName, WatcherBackend, WatchEventType, WatchOptions, WatchSubscription } from './watcher.js';

/** The part of @parcel/watcher this backend uses; injectable so callers decide how the native module loads. */
export type ParcelWatcherModule = Pick<typeof ParcelWatcher, 'subscribe'>;
type NativeSubscription = ParcelWatcher.AsyncSubscription;

const EVENT_TYPES: Readonly<Record<ParcelWatcher.EventType, WatchEventType>> = {
  create: 'add',
  update: 'change',
  delete: 'unlink',
};

/** Loads the native module; rejects when no prebuilt binary fits this platform. */
export async function loadParcelBackend(): Promise<WatcherBackend> {
  const parcel = await import('@parcel/watcher');
  return createParcelBackend(parcel.default);
}

export function createParcelBackend(parcel: ParcelWatcherModule): WatcherBackend {
  return { name: 'parcel', subscribe: (options) => ParcelSubscription.open(parcel, options) };
}

/**
 * One @parcel/watcher subscription on the root, plus a repair for its Linux gap (parcel-bundler/watcher#97):
 * on inotify it watches a new folder but not the subfolders already inside it when it notices, so after
 * `mkdir -p a/b/c`, or a tree moved in, nothing under `a/b` would ever be reported. Such a folder gets its own
 * subscription (whose initial scan watches its whole subtree) and, once that is ready, its contents are
 * reported as added: what existed before is listed, what comes after is watched, with no gap in between.
 * A second subscription on the root would not do: parcel caches one folder tree per watched path.
 */
class ParcelSubscription implements WatchSubscription {
  readonly backend: WatchBackendName = 'parcel';
  readonly #parcel: ParcelWatcherModule;
  readonly #root: string;
  readonly #ignore: IgnoreMatcher;
  readonly #sink: EventSink;
  #rootWatch: NativeSubscription | undefined;
  /** Subscriptions on folders that arrived with subfolders, by absolute path; pending while they start. */
  readonly #folderWatches = new Map<string, Promise<NativeSubscription | undefined>>();
  readonly #stopping = new Set<Promise<void>>();

  static async open(parcel: ParcelWatcherModule, options: WatchOptions): Promise<ParcelSubscription> {
    const watch = new ParcelSubscription(parcel, resolveWatchRoot(options.root), options);
    const ignore = nativeIgnores(options.ignore);
    try {
      watch.#rootWatch = await parcel.subscribe(
        watch.#root,
        (error, events) => watch.#receive(watch.#root, error, events),
        { ignore },
      );
    } catch (error) {
      watch.#sink.close();
      throw new WatcherSubscribeError(
        describeWatcherError(error, `Cannot watch "${watch.#root}" with @parcel/watcher`, true),
        { cause: error },
      );
    }
    return watch;
  }

  private constructor(parcel: ParcelWatcherModule, root: string, options: WatchOptions) {
    this.#parcel = parcel;
    this.#root = root;
    this.#ignore = createIgnoreMatcher(options.ignore);
    this.#sink = new EventSink(options, true);
  }

  async close(): Promise<void> {
    if (this.#sink.closed) return;
    this.#sink.close();
    const rootWatch = this.#rootWatch;
    this.#rootWatch = undefined;
    this.#stopFolderWatches(() => true);
    await Promise.all([rootWatch?.unsubscribe().catch(() => undefined), ...this.#stopping]);
  }

  // Runs inside parcel's native callback, where a throw would be fatal to the process: it must never throw.
  #receive(source: string, error: Error | null, events: ParcelWatcher.Event[]): void {
    try {
      if (this.#sink.closed || (source !== this.#root && !this.#folderWatches.has(source))) return;
      if (error !== null) {
        // Parcel drops a watcher after reporting an error on it, so part of the tree is no longer watched.
        if (source !== this.#root) this.#folderWatches.delete(source);
        this.#sink.report(describeWatcherError(error, `@parcel/watcher stopped watching "${source}"`, true));
        return;
      }
      const maybeNewFolders: string[] = [];
      for (const event of events) {
        if (this.#isIgnored(event.path)) continue;
        this.#sink.push({ type: EVENT_TYPES[event.type], path: event.path });
        // A folder removed and recreated within parcel's debounce window arrives as `update`.
        if (event.type !== 'create') this.#stopFolderWatches((folder) => isSameOrInside(folder, event.path));
        if (event.type !== 'delete' && isFolder(event.path)) maybeNewFolders.push(event.path);
      }
      for (const folder of maybeNewFolders) this.#coverNewFolder(folder);
      this.#sink.endOfDelivery();
    } catch (thrown) {
      this.#sink.report(describeWatcherError(thrown, 'Failed to process @parcel/watcher events', false));
    }
  }

  #coverNewFolder(folder: string): void {
    const children = readChildren(folder).filter((child) => !this.#isIgnored(child.path));
    // Without subfolders, parcel's watch on the folder is complete: only files written before it began are unreported.
    if (!children.some((child) => child.isFolder)) {
      for (const child of children) this.#sink.push({ type: 'add', path: child.path });
      return;
    }
    if (this.#folderWatches.has(folder)) return;
    const ignore = this.#ignore.regexBeneath(relativeToRoot(this.#root, folder));
    const starting: Promise<NativeSubscription | undefined> = this.#parcel
      .subscribe(folder, (error, events) => this.#receive(folder, error, events), {
        ignore: ignore === undefined ? [] : [ignore],
      })
      .then(
        async (subscription) => {
          if (this.#folderWatches.get(folder) !== starting) {
            await subscription.unsubscribe().catch(() => undefined);
            return undefined;
          }
          for (const added of listFolder(folder, this.#isIgnored).paths) this.#sink.push({ type: 'add', path: added });
          return subscription;
        },
        (error: unknown) => {
          if (this.#folderWatches.get(folder) === starting) this.#folderWatches.delete(folder);
          // A folder removed before its watch started has already been reported as removed.
          if (isFolder(folder))
            this.#sink.report(describeWatcherError(error, `Cannot watch new folder "${folder}"`, true));
          return undefined;
        },
      );
    this.#folderWatches.set(folder, starting);
  }

  #stopFolderWatches(shouldStop: (folder: string) => boolean): void {
    for (const [folder, starting] of this.#folderWatches) {
      if (!shouldStop(folder)) continue;
      this.#folderWatches.delete(folder);
      const stopping = starting.then((subscription) => subscription?.unsubscribe()).catch(() => undefined);
      this.#stopping.add(stopping);
      void stopping.finally(() => this.#stopping.delete(stopping));
    }
  }

  readonly #isIgnored = (absolutePath: string): boolean =>
    this.#ignore.matches(relativeToRoot(this.#root, absolutePath));
}

/**
 * What the root subscription asks @parcel/watcher to skip itself; `#isIgnored` filters every event by all the
 * globs either way, so this only spares work and must never hide more than they do. Parcel runs a RegExp with
 * std::regex on every path its crawl meets: at 100k files the daemon's default list (`.packer/**`, `.git/**`,
 * `build/**`, ... and the project's `**\/.DS_Store`, `**\/*.tmp`) cost the crawl ~950 ms of CPU against ~380 ms
 * without a RegExp, and a warm open waits for that crawl. So a glob naming one folder or file goes as a path
 * (parcel compares a prefix), one for many folders (`**\/Library/**`) still goes as a RegExp (not entering them
 * is worth it), and a name pattern (`**\/*.tmp`) is left to `#isIgnored`.
 */
export function nativeIgnores(globs: readonly string[]): Array<string | RegExp> {
  const paths: string[] = [];
  const folderGlobs: string[] = [];
  for (const glob of globs) {
    const normalized = glob.replace(/^(?:\.\/|\/)+/, '').replace(/\/+$/, '');
    const folder = normalized.replace(/(?:\/\*\*)+$/, '');
    // No character that parcel's wrapper (is-glob, picomatch) or our matcher could read as a pattern.
    if (folder !== '' && !/[*?[\]{}()!+@|\\]/.test(folder)) paths.push(folder);
    else if (folder !== normalized) folderGlobs.push(normalized);
  }
  const regex = createIgnoreMatcher(folderGlobs).regex;
  return regex === undefined ? paths : [...paths, regex];
}

function isSameOrInside(candidate: string, folder: string): boolean {
  return candidate === folder || candidate.startsWith(folder + path.sep);
}

function isFolder(absolutePath: string): boolean {
  try {
    return lstatSync(absolutePath, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

function readChildren(folder: string): Array<{ path: string; isFolder: boolean }> {
  try {
    return readdirSync(folder, { withFileTypes: true }).map((entry) => ({
      path: path.join(folder, entry.name),
      isFolder: entry.isDirectory(),
    }));
  } catch {
    return [];
  }
}
