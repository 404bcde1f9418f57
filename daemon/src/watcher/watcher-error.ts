import type { WatcherErrorInfo } from './watcher.js';

/** Thrown (as a rejection of `subscribe`) when a root cannot be watched at all. */
export class WatcherSubscribeError extends Error {
  readonly info: WatcherErrorInfo;
  /** Same as `info.code`, where Node errors keep it. */
  readonly code: string | undefined;
  /** Same as `info.hint`. */
  readonly hint: string | undefined;

  constructor(info: WatcherErrorInfo, options?: { cause?: unknown }) {
    super(info.hint === undefined ? info.reason : `${info.reason}. ${info.hint}`, options);
    this.name = 'WatcherSubscribeError';
    this.info = info;
    this.code = info.code;
    this.hint = info.hint;
  }
}

// @parcel/watcher reports native failures as plain messages built from strerror(), without an errno code.
const MESSAGE_CODES: ReadonlyArray<[RegExp, string]> = [
  [/no space left on device/i, 'ENOSPC'],
  [/too many open files/i, 'EMFILE'],
  [/permission denied/i, 'EACCES'],
  [/operation not permitted/i, 'EPERM'],
  [/no such file or directory/i, 'ENOENT'],
  [/not a directory/i, 'ENOTDIR'],
];

const HINTS: Readonly<Record<string, string>> = {
  ENOSPC:
    'The inotify watch limit (fs.inotify.max_user_watches) is exhausted: raise it, e.g. ' +
    '`sudo sysctl fs.inotify.max_user_watches=524288` (persist it in /etc/sysctl.d/), or ignore large folders',
  EMFILE:
    'Too many open files or inotify instances: raise `ulimit -n` or fs.inotify.max_user_instances, ' +
    'or close other watching programs',
  EACCES: 'A folder under the root is not readable by the daemon user: fix its permissions or ignore it',
  EPERM: 'A folder under the root is not readable by the daemon user: fix its permissions or ignore it',
};

/** Codes after which a backend keeps running but misses changes in some folders. */
const WATCH_LIMIT_CODES = new Set(['ENOSPC', 'EMFILE']);

/** True for errors meaning the OS refused more watches, so some folders go unwatched. */
export function isWatchLimitCode(code: string | undefined): boolean {
  return code !== undefined && WATCH_LIMIT_CODES.has(code);
}

/** Turns anything a backend threw or emitted into the contract's error shape. */
export function describeWatcherError(error: unknown, context: string, fatal: boolean): WatcherErrorInfo {
  const code = watcherErrorCode(error);
  const info: WatcherErrorInfo = { reason: `${context}: ${messageOf(error)}`, fatal };
  if (code !== undefined) info.code = code;
  const hint = code === undefined ? undefined : HINTS[code];
  if (hint !== undefined) info.hint = hint;
  return info;
}

/** The errno-style code of an error: its `code` property, or one recognised in a native message. */
export function watcherErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  const message = messageOf(error);
  return MESSAGE_CODES.find(([pattern]) => pattern.test(message))?.[1];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
