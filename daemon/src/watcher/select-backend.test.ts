import { describe, expect, it } from 'vitest';
import { selectWatcherBackend } from './select-backend.js';

describe('selectWatcherBackend', () => {
  it('uses fs.watch per folder on Linux and @parcel/watcher elsewhere when PACKER_WATCHER is unset', async () => {
    for (const env of [{}, { PACKER_WATCHER: '' }]) {
      expect(await selectWatcherBackend(env, undefined, 'linux')).toMatchObject({
        name: 'fs-watch',
        requested: 'fs-watch',
      });
      for (const platform of ['darwin', 'win32'] as const)
        expect(await selectWatcherBackend(env, undefined, platform)).toMatchObject({
          name: 'parcel',
          requested: 'parcel',
        });
    }
  });

  it('uses the backend PACKER_WATCHER names, whatever the platform', async () => {
    for (const name of ['fs-watch', 'parcel', 'chokidar'] as const) {
      const backend = await selectWatcherBackend({ PACKER_WATCHER: ` ${name.toUpperCase()} ` }, undefined, 'linux');
      expect(backend).toMatchObject({ name, requested: name });
      expect(backend.fallbackReason).toBeUndefined();
    }
  });

  it('falls back to chokidar and says why when the native module cannot load', async () => {
    const backend = await selectWatcherBackend({ PACKER_WATCHER: 'parcel' }, () =>
      Promise.reject(new Error('No prebuild or local build of @parcel/watcher found')),
    );
    expect(backend).toMatchObject({ name: 'chokidar', requested: 'parcel' });
    expect(backend.fallbackReason).toContain('No prebuild or local build');
  });

  it('rejects an unknown PACKER_WATCHER value, naming the variable and the choices', async () => {
    await expect(selectWatcherBackend({ PACKER_WATCHER: 'fsevents' })).rejects.toThrow(
      'Expected PACKER_WATCHER to be "fs-watch", "parcel" or "chokidar", got "fsevents"',
    );
  });
});
