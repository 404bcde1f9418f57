import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Workspace } from '@packer/core';
import { OVERFLOW_HOLD, overflowSuspectEvents } from '../src/disk-sync.js';
import { type Cleanups, handFedSync, openTextProject } from './support/hand-fed-sync.js';
import { waitUntil } from './support/wait-until.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const GONE = ['assets/a.txt', 'assets/b.txt', 'assets/c.txt'];
const ELSEWHERE = 'assets/sub/e.txt';

/** A project with five registered text files, one in a subfolder. */
function openProject(): Promise<{ root: string; workspace: Workspace }> {
  return openTextProject([...GONE, 'assets/d.txt', ELSEWHERE], cleanups);
}

const missing = (workspace: Workspace): string[] =>
  workspace.snapshot.assets.filter((asset) => asset.status === 'missing').map((asset) => asset.path);

describe('changes held while .git/index.lock exists', () => {
  it('settle with every change on disk, even one the watcher never reported (parcel-bundler/watcher#183)', async () => {
    const { root, workspace } = await openProject();
    const { sync, deliver, event, cookie } = await handFedSync(root, workspace, cleanups);

    // git rewrites files under its lock; three go, and the watcher reports only two of them: @parcel/watcher drops an
    // event that arrives while its debounce thread hands a delivery over.
    mkdirSync(path.join(root, '.git'));
    writeFileSync(path.join(root, '.git/index.lock'), '');
    for (const file of GONE) rmSync(path.join(root, file));
    deliver(GONE.slice(0, 2).map((file) => event('unlink', file)));
    const read = sync.sync();
    deliver([{ type: 'add', path: await cookie() }]);
    await waitUntil(() => sync.watcherHealth.heldBy === '.git/index.lock', 'the changes are held for the lock');
    expect(workspace.snapshot.summary.missing).toBe(0);

    rmSync(path.join(root, '.git/index.lock'));
    await read;
    expect(workspace.snapshot.summary.missing).toBe(3);
    expect(sync.watcherHealth.heldBy).toBeUndefined();
  });
});

describe('a burst big enough to overflow the kernel watch queue', () => {
  // The kernel drops what does not fit its inotify queue and says so with IN_Q_OVERFLOW, which @parcel/watcher skips
  // silently; a lost change may be in a folder no delivered event touched, where listing the burst's folders again
  // does not look. The threshold is 3 events here (half the kernel's queue in real use).
  it('is held and settled in one full rescan, which finds a change in a folder nothing reported', async () => {
    const { root, workspace } = await openProject();
    const { sync, deliver, event, cookie, warnings } = await handFedSync(root, workspace, cleanups, {
      overflowSuspectEvents: 3,
    });

    for (const file of GONE) writeFileSync(path.join(root, file), 'rewritten\n');
    rmSync(path.join(root, ELSEWHERE));
    deliver(GONE.map((file) => event('change', file)));
    await waitUntil(() => sync.watcherHealth.heldBy === OVERFLOW_HOLD, 'the burst is held');
    const read = sync.sync();
    deliver([{ type: 'add', path: await cookie() }]);
    await read;
    expect(missing(workspace)).toEqual([ELSEWHERE]);
    expect(sync.watcherHealth.heldBy).toBeUndefined();
    expect(warnings).toContain('a burst may have overflowed the inotify queue; rescanning');
  });

  it('a smaller burst is applied as reported, without a full rescan', async () => {
    const { root, workspace } = await openProject();
    const { sync, deliver, event, cookie, warnings } = await handFedSync(root, workspace, cleanups, {
      overflowSuspectEvents: 3,
    });

    rmSync(path.join(root, GONE[0]!));
    rmSync(path.join(root, ELSEWHERE));
    deliver([event('unlink', GONE[0]!)]);
    const read = sync.sync();
    deliver([{ type: 'add', path: await cookie() }]);
    await read;
    // The reported delete is seen; the unreported one in assets/sub is not looked for (cost follows the change).
    expect(missing(workspace)).toEqual(['assets/a.txt']);
    expect(warnings).not.toContain('a burst may have overflowed the inotify queue; rescanning');
  });

  it('suspects half of the kernel queue length, or 8192 when it cannot be read', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'packer-inotify-queue-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'max_queued_events'), '1000\n');
    expect(overflowSuspectEvents(path.join(dir, 'max_queued_events'))).toBe(500);
    expect(overflowSuspectEvents(path.join(dir, 'absent'))).toBe(8192);
  });
});
