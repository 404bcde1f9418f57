import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cleanups, handFedSync, openTextProject } from './support/hand-fed-sync.js';
import { waitUntil } from './support/wait-until.js';
import { RECHECK_AFTER_MS } from '../src/own-writes.js';

// What @parcel/watcher delivers after an apply moved a file into another folder and someone removed it at once:
// the old path's delete, and for the new path nothing (its event list skips a path both created and deleted within
// one debounce window). The watcher backend here is fed by hand with exactly that; watch-own-writes.test.ts does it
// with the real watcher.

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FROM = 'assets/sprites/s0.txt';
const TO = 'assets/sounds/s0.txt';

async function movedThenRemoved() {
  const { root, workspace } = await openTextProject([FROM, 'assets/sprites/s1.txt', 'assets/sounds/b0.txt'], cleanups);
  const fed = await handFedSync(root, workspace, cleanups);
  const applied = await workspace.apply({ type: 'move', from: FROM, to: TO });
  // What the daemon's mutation handler does once an apply committed.
  fed.sync.noteOwnWrites(
    applied.plan.filesystemMutations.flatMap((step) => (step.op === 'move' ? [step.from, step.to] : [step.path])),
  );
  rmSync(path.join(root, TO));
  const cookies = () =>
    readdirSync(path.join(root, 'assets'))
      .filter((name) => name.startsWith('.packer-cookie-'))
      .map((name) => path.join(root, 'assets', name));
  return { workspace, fed, cookies };
}

const statusOf = (workspace: { snapshot: { assets: readonly { path: string; status: string }[] } }, relative: string) =>
  workspace.snapshot.assets.find((asset) => asset.path === relative)?.status;

describe('a path the apply wrote, whose events the watcher merged away', () => {
  it('is missing at the next synced read: its cookie, written after the apply, re-checks the path first', async () => {
    const { workspace, fed, cookies } = await movedThenRemoved();
    expect(statusOf(workspace, TO)).toBe('present');
    const read = fed.sync.sync();
    await waitUntil(() => cookies().length === 1, 'the synced read wrote its cookie');
    fed.deliver([fed.event('unlink', FROM), { type: 'add', path: cookies()[0]! }]);
    await read;
    expect(statusOf(workspace, TO)).toBe('missing');
    expect(workspace.snapshot.untracked).toEqual([]);
  });

  it('is found missing without any read once the watcher delivery window has passed, without a cookie', async () => {
    const { workspace, fed, cookies } = await movedThenRemoved();
    fed.deliver([fed.event('unlink', FROM)]);
    await waitUntil(() => statusOf(workspace, TO) === 'missing', `${TO} is missing`, RECHECK_AFTER_MS + 4_000);
    // The daemon leaves no file of its own in the user's folders after an apply.
    expect(cookies()).toEqual([]);
  });
});
