import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { afterEachFreeDisk } from './support/injected-full-disk.js';

// An injected full disk (as in full-disk-injected.test.ts): while `disk.full`, every write through a descriptor
// fails with ENOSPC — the atomic writes of `.packer/revision`, the digest cache and the event log's appends.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) =>
  (await import('./support/full-disk-fs.js')).fsWithFullDisk(await importOriginal(), disk),
);

const { Daemon } = await import('../src/daemon.js');

const { roots, daemons } = afterEachFreeDisk(disk);

describe('a watching daemon on a full disk (injected ENOSPC)', () => {
  it('still picks up a change on disk, reports the revision file as degraded storage, and catches up when space returns', async () => {
    const root = await copyFixture('sample-game');
    roots.push(root);
    const daemon = new Daemon({ projectRoot: root, listen: false, idleTimeoutMs: 0 });
    await daemon.start();
    daemons.add(daemon);
    const revision = daemon.workspace.snapshot.revision;

    disk.full = true;
    writeFileSync(path.join(root, 'assets/data/arrived-while-full.json'), '{"x":1}');
    // On the old code the revision file's ENOSPC threw out of the refresh and the watcher batch was dropped.
    await vi.waitFor(
      () =>
        expect(daemon.workspace.snapshot.untracked.map((file) => file.path)).toContain(
          'assets/data/arrived-while-full.json',
        ),
      { timeout: 10_000, interval: 50 },
    );
    expect(daemon.workspace.snapshot.revision).toBeGreaterThan(revision);
    expect(daemon.storageHealth().warnings).toContainEqual(
      expect.objectContaining({ store: 'revision', errno: 'ENOSPC' }),
    );

    disk.full = false;
    await vi.waitFor(() => expect(daemon.storageHealth()).toEqual({ state: 'ok', warnings: [] }), {
      timeout: 10_000,
      interval: 50,
    });
  });
});
