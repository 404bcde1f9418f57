import { chokidarBackend } from './chokidar-backend.js';
import { loadParcelBackend } from './parcel-backend.js';
import type { WatchBackendName, WatcherBackend } from './watcher.js';

/** The backend the daemon will use, and why it is not the one asked for, if it is not. */
export interface SelectedWatcherBackend extends WatcherBackend {
  /** Backend named by `PACKER_WATCHER`, or `parcel` when unset. */
  readonly requested: WatchBackendName;
  /** Set when the requested backend could not load and chokidar serves instead; the daemon reports it in health. */
  readonly fallbackReason?: string;
}

/**
 * `PACKER_WATCHER=chokidar` selects chokidar; `parcel` or unset selects @parcel/watcher, falling back to
 * chokidar when the native module cannot load on this machine. Any other value is a configuration error.
 */
export async function selectWatcherBackend(
  env: NodeJS.ProcessEnv = process.env,
  loadParcel: () => Promise<WatcherBackend> = loadParcelBackend,
): Promise<SelectedWatcherBackend> {
  const requested = parseRequestedBackend(env.PACKER_WATCHER);
  if (requested === 'chokidar') return { ...chokidarBackend, requested };
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

function parseRequestedBackend(value: string | undefined): WatchBackendName {
  const normalized = value?.trim().toLowerCase() ?? '';
  if (normalized === '' || normalized === 'parcel') return 'parcel';
  if (normalized === 'chokidar') return 'chokidar';
  throw new TypeError(
    `Expected PACKER_WATCHER to be "parcel" or "chokidar", got "${value}": unset it to use the default (parcel)`,
  );
}
