/**
 * The watcher contract every backend implements (DESIGN §10). A watcher only says *where* to look again: the
 * daemon rescans the reported paths and derives divergence from (registry, disk), never from the events alone.
 */

/**
 * What happened to a path.
 * - `add`: the path appeared. New folders may be reported as `add` of the folder, of the files in it, or both.
 * - `change`: the file's content or metadata changed (also used when a path was removed and recreated quickly;
 *   parcel may also report a file created and written within one burst as `change`).
 * - `unlink`: the path is gone. For a folder this stands for its whole subtree: a backend may or may not also
 *   report each file that was inside it.
 */
export type WatchEventType = 'add' | 'change' | 'unlink';

/** One change to one path. */
export interface WatchEvent {
  /** What happened to the path. */
  type: WatchEventType;
  /** Absolute path, inside the watched root. */
  path: string;
}

/** Debounced group of events; each path appears at most once. */
export interface WatchBatch {
  /** Events in order of each path's first change within the batch. */
  events: WatchEvent[];
}

/** A problem the watcher met while running; reported through `onError`, never thrown into the void. */
export interface WatcherErrorInfo {
  /** Human-readable description, including the backend's own message. */
  reason: string;
  /** errno-style code when known, e.g. `ENOSPC`, `EMFILE`, `EACCES`. */
  code?: string;
  /** What the user can do about it, e.g. how to raise `fs.inotify.max_user_watches`. */
  hint?: string;
  /**
   * True when the subscription can no longer be trusted to report every change (it stopped, or it could not
   * watch some folders): close it, subscribe again and rescan.
   */
  fatal: boolean;
}

/** What to watch and where to send what is seen. */
export interface WatchOptions {
  /** Folder to watch recursively. Must exist and be a directory. */
  root: string;
  /**
   * Globs relative to `root` (posix separators, dotfiles included) for paths never to report, e.g. `**\/*.tmp`,
   * `.packer/**`. A matched folder hides its whole subtree. Supports `*`, `**`, `?`, `[...]`, `{a,b}`.
   */
  ignore: string[];
  /** Receives each debounced batch; never called with an empty batch, never called after `close()`. */
  onBatch(batch: WatchBatch): void;
  /** Receives problems met while watching, including exceptions thrown by `onBatch`. */
  onError(error: WatcherErrorInfo): void;
  /**
   * Quiet period before a batch is delivered; defaults to 50 ms. Unset on @parcel/watcher, whose native deliveries
   * already wait for 50 ms of quiet, each delivery is one batch, delivered as it arrives.
   */
  debounceMs?: number;
  /**
   * Events somebody is waiting for (e.g. a read-your-writes cookie): a backend that gets ordered native batches
   * (parcel) delivers the batch holding one at the end of that native batch instead of after the quiet period,
   * so everything that happened before it is included. Other backends keep the quiet period.
   */
  urgent?: (absolutePath: string) => boolean;
}

/** The available watcher implementations. */
export type WatchBackendName = 'fs-watch' | 'parcel' | 'chokidar';

/** A live watch on one root. */
export interface WatchSubscription {
  /** Backend serving this subscription. */
  readonly backend: WatchBackendName;
  /** Stops watching; once the promise resolves no further batch or error is delivered. */
  close(): Promise<void>;
}

/** A watcher implementation. Every backend passes the same contract suite (`watcher-contract.test.ts`). */
export interface WatcherBackend {
  readonly name: WatchBackendName;
  /**
   * Starts watching. Resolves only once the watcher is ready: every change made after the promise resolves is
   * delivered. Rejects with `WatcherSubscribeError` when the root cannot be watched.
   */
  subscribe(options: WatchOptions): Promise<WatchSubscription>;
}

/** Default quiet period before a batch is delivered. */
export const DEFAULT_DEBOUNCE_MS = 50;
