import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { canonicalState, observerOf } from '../testing/snapshot-equivalence.js';
import { Workspace } from '../workspace/workspace.js';

// Past the bulk threshold (more than 1,024 changes, over a quarter of the project): the state after the commit is
// derived from scratch, with every registered file hashed before the one derivation.
const COUNT = 1_300;

describe('a change touching most of the project', () => {
  it('registering every file publishes the from-scratch state, digests shown, and later changes stay exact', async () => {
    const files: Record<string, string> = { 'assets/keep/Notes.txt': 'case', 'assets/keep/notes.txt': 'pair' };
    for (let index = 0; index < COUNT; index++)
      files[`assets/set-${index % 7}/file-${index}.${index % 3 === 0 ? 'png' : 'txt'}`] = `content ${index}`;
    const root = makeTempProject(files);
    const ws = await Workspace.open(root);
    const before = ws.state;
    expect(before.snapshot.summary).toMatchObject({ assets: 0, untracked: COUNT + 2 });
    const plan = ws.preview({ type: 'register', paths: ['assets'] });
    await ws.apply({ type: 'register', paths: ['assets'] }, { expectedRevision: plan.baseRevision, previewed: plan });

    expect(ws.snapshot.summary).toMatchObject({ assets: COUNT + 2, untracked: 0, missing: 0 });
    expect(ws.snapshot.assets.every((asset) => typeof asset.observation?.digest === 'string')).toBe(true);
    expect(canonicalState(ws.state)).toBe(canonicalState(observerOf(ws).deriveFromScratch()));
    // The state readers held before the commit still shows what it showed.
    expect(before.snapshot.summary).toMatchObject({ assets: 0, untracked: COUNT + 2 });
    expect(before.untrackedByPath.size).toBe(COUNT + 2);

    // Incremental changes on top of the bulk-derived state: an edit, a deletion, a new untracked file.
    writeFileSync(path.join(root, 'assets/set-1/file-1.txt'), 'edited');
    rmSync(path.join(root, 'assets/set-2/file-2.txt'));
    writeFileSync(path.join(root, 'assets/new.txt'), 'new');
    await ws.refresh(['assets/set-1/file-1.txt', 'assets/set-2/file-2.txt', 'assets/new.txt']);
    expect(ws.snapshot.summary).toMatchObject({ assets: COUNT + 2, untracked: 1, missing: 1 });
    expect(canonicalState(ws.state)).toBe(canonicalState(observerOf(ws).deriveFromScratch()));
    await ws.close();
  }, 60_000);
});
