export type {
  WatchBackendName,
  WatchBatch,
  WatchEvent,
  WatchEventType,
  WatcherBackend,
  WatcherErrorInfo,
  WatchOptions,
  WatchSubscription,
} from './watcher.js';
export { DEFAULT_DEBOUNCE_MS } from './watcher.js';
export { WatcherSubscribeError } from './watcher-error.js';
export { DebounceBatcher, DEFAULT_MAX_DELAY_MS, type DebounceBatcherOptions } from './debounce-batcher.js';
export { createIgnoreMatcher, type IgnoreMatcher } from './ignore-matcher.js';
export { chokidarBackend } from './chokidar-backend.js';
export { fsWatchBackend } from './fs-watch-backend.js';
export { createParcelBackend, loadParcelBackend, type ParcelWatcherModule } from './parcel-backend.js';
export { selectWatcherBackend, type SelectedWatcherBackend } from './select-backend.js';
