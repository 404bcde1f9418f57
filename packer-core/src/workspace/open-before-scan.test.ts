import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

/** A promise that says when someone awaits it, and settles only when told to. */
function gate(): { promise: Promise<void>; awaited: Promise<'awaited'>; open: () => void } {
  let open!: () => void;
  let noteAwaited!: (value: 'awaited') => void;
  const awaited = new Promise<'awaited'>((resolve) => (noteAwaited = resolve));
  const settled = new Promise<void>((resolve) => (open = resolve));
  const promise = {
    then: (onFulfilled?: () => unknown, onRejected?: (error: unknown) => unknown) => {
      noteAwaited('awaited');
      return settled.then(onFulfilled, onRejected);
    },
  } as Promise<void>;
  return { promise, awaited, open };
}

describe('Workspace.open with beforeScan (the daemon passes its watch subscription)', () => {
  it('scans only once beforeScan has settled: a file written while it is pending is in the first snapshot', async () => {
    const root = makeTempProject({ 'assets/first.txt': 'first\n' });
    const subscription = gate();
    const opening = Workspace.open(root, { env: {}, beforeScan: subscription.promise });
    // The open must be waiting on it, not done with its scan already (then a change now would be in neither).
    expect(await Promise.race([subscription.awaited, opening.then(() => 'opened without waiting')])).toBe('awaited');
    writeFileSync(path.join(root, 'assets', 'during.txt'), 'written while the watch was being set up\n');
    subscription.open();
    const workspace = await opening;
    try {
      expect(workspace.snapshot.untracked.map((file) => file.path)).toEqual(['assets/during.txt', 'assets/first.txt']);
    } finally {
      await workspace.close();
    }
  });
});
