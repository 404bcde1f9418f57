import { chokidarBackend } from './chokidar-backend.js';
import { fsWatchBackend } from './fs-watch-backend.js';
import { loadParcelBackend } from './parcel-backend.js';
import type { WatchBackendName, WatcherBackend } from './watcher.js';

/** The backend the daemon will use, and why it is not the one asked for, if it is not. */
export interface SelectedWatcherBackend extends WatcherBackend {
  /** Backend named by `PACKER_WATCHER`, or this platform's default when unset. */
  readonly requested: WatchBackendName;
  /** Set when the requested backend could not load and chokidar serves instead; the daemon reports it in health. */
  readonly fallbackReason?: string;
}

/**
 * The backend when `PACKER_WATCHER` is unset: on Linux, fs.watch per folder (inotify, nothing kept per file; see
 * fs-watch-backend.ts for the measurements against parcel); elsewhere @parcel/watcher, whose macOS and Windows
 * backends watch a whole tree with one native stream instead of a handle per folder.
 */
export function defaultWatcherBackend(platform: NodeJS.Platform = process.platform): WatchBackendName {
  return platform === 'linux' ? 'fs-watch' : 'parcel';
}

/**
 * `PACKER_WATCHER` names the backend: `fs-watch`, `parcel` or `chokidar`; unset, the platform's default. Parcel falls
 * back to chokidar when its native module cannot load on this machine. Any other value is a configuration error.
 */
export async function selectWatcherBackend(
  env: NodeJS.ProcessEnv = process.env,
  loadParcel: () => Promise<WatcherBackend> = loadParcelBackend,
  platform: NodeJS.Platform = process.platform,
): Promise<SelectedWatcherBackend> {
  const requested = parseRequestedBackend(env.PACKER_WATCHER) ?? defaultWatcherBackend(platform);
  if (requested === 'chokidar') return { ...chokidarBackend, requested };
  if (requested === 'fs-watch') return { ...fsWatchBackend, requested };
  try {
    return { ...(await loadParcel()), requested };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ...chokidarBackend,
      requested,
      fallbackReason: `@parcel/watcher could not load, so the chokidar backend is watching instead: ${message}`,
    };
  }
}

const BACKEND_NAMES: readonly WatchBackendName[] = ['fs-watch', 'parcel', 'chokidar'];

function parseRequestedBackend(value: string | undefined): WatchBackendName | undefined {
  const normalized = value?.trim().toLowerCase() ?? '';
  if (normalized === '') return undefined;
  const name = BACKEND_NAMES.find((candidate) => candidate === normalized);
  if (name) return name;
  throw new TypeError(
    `Expected PACKER_WATCHER to be "fs-watch", "parcel" or "chokidar", got "${value}": unset it to use the default (${defaultWatcherBackend()})`,
  );
}
