import { describe, expect, it } from 'vitest';
import { selectWatcherBackend } from './select-backend.js';

describe('selectWatcherBackend', () => {
  it('uses @parcel/watcher when PACKER_WATCHER is unset or parcel', async () => {
    for (const env of [{}, { PACKER_WATCHER: '' }, { PACKER_WATCHER: 'parcel' }]) {
      const backend = await selectWatcherBackend(env);
      expect(backend).toMatchObject({ name: 'parcel', requested: 'parcel' });
      expect(backend.fallbackReason).toBeUndefined();
    }
  });

  it('uses chokidar when PACKER_WATCHER=chokidar', async () => {
    const backend = await selectWatcherBackend({ PACKER_WATCHER: 'chokidar' });
    expect(backend).toMatchObject({ name: 'chokidar', requested: 'chokidar' });
    expect(backend.fallbackReason).toBeUndefined();
  });

  it('falls back to chokidar and says why when the native module cannot load', async () => {
    const backend = await selectWatcherBackend({}, () =>
      Promise.reject(new Error('No prebuild or local build of @parcel/watcher found')),
    );
    expect(backend).toMatchObject({ name: 'chokidar', requested: 'parcel' });
    expect(backend.fallbackReason).toContain('No prebuild or local build');
  });

  it('rejects an unknown PACKER_WATCHER value, naming the variable and the choices', async () => {
    await expect(selectWatcherBackend({ PACKER_WATCHER: 'fsevents' })).rejects.toThrow(
      'Expected PACKER_WATCHER to be "parcel" or "chokidar", got "fsevents"',
    );
  });
});
