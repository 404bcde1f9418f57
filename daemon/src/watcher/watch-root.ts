import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeWatcherError, WatcherSubscribeError } from './watcher-error.js';

/** Resolves the root to an absolute path and checks it is a folder, so both backends fail the same way. */
export function resolveWatchRoot(root: string): string {
  const absolute = path.resolve(root);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (error) {
    throw new WatcherSubscribeError(describeWatcherError(error, `Cannot watch root "${absolute}"`, true), {
      cause: error,
    });
  }
  if (!isDirectory) {
    throw new WatcherSubscribeError({
      reason: `Expected the watch root to be a folder, got a file: "${absolute}"`,
      fatal: true,
    });
  }
  return absolute;
}

/** Root-relative path with posix separators, the form ignore globs are written in. */
export function relativeToRoot(root: string, absolutePath: string): string {
  const relative = path.relative(root, absolutePath);
  return path.sep === '/' ? relative : relative.split(path.sep).join('/');
}

/** Everything found under a folder, except ignored paths and what lies beneath them. */
export interface FolderContents {
  /** Absolute paths of files, symlinks and folders below the folder (not the folder itself). */
  paths: string[];
  /** True when at least one folder was found below it. */
  hasSubfolders: boolean;
}

/**
 * Synchronous walk of one folder: a plain readdirSync walk is much faster and leaner than a promise per entry
 * (DESIGN §11). Symlinks are listed but not followed. Folders vanishing mid-walk are skipped.
 */
export function listFolder(folder: string, isIgnored: (absolutePath: string) => boolean): FolderContents {
  const contents: FolderContents = { paths: [], hasSubfolders: false };
  const stack = [folder];
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const entryPath = path.join(current, entry.name);
      if (isIgnored(entryPath)) continue;
      contents.paths.push(entryPath);
      if (entry.isDirectory()) {
        contents.hasSubfolders = true;
        stack.push(entryPath);
      }
    }
  }
  return contents;
}
