import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DivergenceEntry } from '../contract/snapshot-schema.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { divergenceChanges, firstDivergence } from './divergence-changes.js';
import { PersistentMap } from './persistent-map.js';
import type { SnapshotState } from './snapshot-state.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function key(entry: DivergenceEntry): string {
  return entry.type === 'moved'
    ? `moved:${entry.assetId}:${entry.to}`
    : entry.type === 'missing'
      ? `missing:${entry.assetId}`
      : `untracked:${entry.path}`;
}

/** The diff the daemon made before: both whole divergence lists, by key. */
function wholeListDiff(previous: SnapshotState, next: SnapshotState): { added: string[]; resolved: string[] } {
  const before = new Set(previous.snapshot.divergence.map(key));
  const after = new Set(next.snapshot.divergence.map(key));
  return {
    added: next.snapshot.divergence.map(key).filter((item) => !before.has(item)),
    resolved: previous.snapshot.divergence.map(key).filter((item) => !after.has(item)),
  };
}

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('divergenceChanges', () => {
  it('reports exactly what a diff of the whole lists reports, over random outside changes', async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 40; index++) files[`assets/f${index}.txt`] = `content ${index}`;
    const root = makeTempProject(files);
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets/f1.txt', 'assets/f2.txt', 'assets/f3.txt', 'assets'] });
    const next = random(7);
    let counter = 100;
    const seen = { added: 0, resolved: 0, moved: 0 };
    for (let round = 0; round < 60; round++) {
      const present = ws.snapshot.assets.filter((asset) => asset.status === 'present').map((asset) => asset.path);
      const untracked = ws.snapshot.untracked.map((file) => file.path);
      const pick = (list: string[]): string | undefined => list[Math.floor(next() * list.length)];
      const touched: string[] = [];
      const action = next();
      if (action < 0.3) {
        const added = `assets/new/n${counter++}.txt`;
        mkdirSync(path.join(root, 'assets/new'), { recursive: true });
        writeFileSync(path.join(root, added), `fresh ${counter}`);
        touched.push(added);
      } else if (action < 0.55 && present.length > 0) {
        const from = pick(present)!;
        const to = `assets/moved/m${counter++}.txt`;
        mkdirSync(path.join(root, 'assets/moved'), { recursive: true });
        renameSync(path.join(root, from), path.join(root, to));
        touched.push(from, to);
      } else if (action < 0.75 && present.length > 0) {
        const gone = pick(present)!;
        rmSync(path.join(root, gone));
        touched.push(gone);
      } else if (untracked.length > 0) {
        const gone = pick(untracked)!;
        rmSync(path.join(root, gone));
        touched.push(gone);
      }
      const previous = ws.state;
      await ws.refresh(touched);
      const changes = divergenceChanges(previous, ws.state);
      const expected = wholeListDiff(previous, ws.state);
      expect(changes.added.map(key)).toEqual(expected.added);
      expect(changes.resolved.map(key)).toEqual(expected.resolved);
      // The entries are the snapshot's own, field for field.
      const byKey = new Map(ws.snapshot.divergence.map((entry) => [key(entry), entry]));
      for (const entry of changes.added) expect(entry).toEqual(byKey.get(key(entry)));
      seen.added += changes.added.length;
      seen.resolved += changes.resolved.length;
      seen.moved += changes.added.filter((entry) => entry.type === 'moved').length;
    }
    expect(firstDivergence(ws.state, 1000).map(key)).toEqual(ws.snapshot.divergence.map(key));
    // The sequence exercised every kind of change.
    expect(seen.added).toBeGreaterThan(10);
    expect(seen.resolved).toBeGreaterThan(5);
    expect(seen.moved).toBeGreaterThan(0);
    await ws.close();
  });

  it('a one-file change beside 3,000 untracked files walks neither list (cost follows the change)', async () => {
    const files: Record<string, string> = { 'assets/kept.txt': 'kept' };
    for (let index = 0; index < 3000; index++) files[`assets/loose/u${index}.txt`] = `loose ${index}`;
    const root = makeTempProject(files);
    const ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets/kept.txt'] });
    const previous = ws.state;
    writeFileSync(path.join(root, 'assets/loose/one-more.txt'), 'one more');
    await ws.refresh(['assets/loose/one-more.txt']);
    const walks = [
      vi.spyOn(PersistentMap.prototype, 'keys'),
      vi.spyOn(PersistentMap.prototype, 'values'),
      vi.spyOn(PersistentMap.prototype, 'entries'),
    ];
    const lookups = vi.spyOn(PersistentMap.prototype, 'has');
    const changes = divergenceChanges(previous, ws.state, 1000);
    expect(changes.added.map(key)).toEqual(['untracked:assets/loose/one-more.txt']);
    expect(changes.resolved).toEqual([]);
    for (const walk of walks) expect(walk).not.toHaveBeenCalled();
    // A chunk of the untracked map (256 paths) is looked at, not 3,000.
    expect(lookups.mock.calls.length).toBeLessThan(600);
    expect(ws.state.snapshot.summary.divergence).toBe(3001);
    await ws.close();
  });

  it('registering 3,000 untracked files lists the first ones resolved and looks at no more candidates than it lists', async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 3000; index++)
      files[`assets/loose/u${String(index).padStart(4, '0')}.txt`] = `${index}`;
    const root = makeTempProject(files);
    const ws = await Workspace.open(root);
    const previous = ws.state;
    await ws.apply({ type: 'register', paths: ['assets'] });
    const lookups = vi.spyOn(PersistentMap.prototype, 'has');
    const changes = divergenceChanges(previous, ws.state, 10);
    const listing10 = lookups.mock.calls.length;
    expect(changes.resolved.map(key)).toEqual(
      Array.from({ length: 10 }, (_, index) => `untracked:assets/loose/u${String(index).padStart(4, '0')}.txt`),
    );
    expect(changes.added).toEqual([]);
    lookups.mockClear();
    expect(divergenceChanges(previous, ws.state).resolved).toHaveLength(3000);
    const listingAll = lookups.mock.calls.length;
    // Finding what changed costs what changed either way; making the entries costs what is listed.
    expect(listingAll - listing10).toBeGreaterThan(1.5 * 3000);
    await ws.close();
  });
});
