import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPackerError, type PackerError } from '../contract/errors.js';
import { runBuild } from '../processing/run-build.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

const CONFIG = {
  name: 'conflicts',
  assetRoots: ['assets'],
  kinds: { text: { extensions: ['.txt'], processor: 'text' } },
  packs: [{ name: 'all', include: ['assets/**'] }],
};

const open: Workspace[] = [];
afterEach(async () => {
  for (const workspace of open.splice(0)) await workspace.close();
});

async function project(): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject({ 'assets/a.txt': 'a', 'assets/b.txt': 'b', 'assets/c.txt': 'c' }, CONFIG);
  const ws = await Workspace.open(root);
  open.push(ws);
  await ws.apply({ type: 'register', paths: ['assets'] });
  return { root, ws };
}

const conflictOf = async (promise: Promise<unknown>): Promise<PackerError<'CONFLICT'>> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isPackerError(error, 'CONFLICT')) throw new Error(`expected CONFLICT, got ${String(error)}`);
  return error;
};

describe('conflicts are semantic', () => {
  it('a build between preview and apply does not make the apply conflict: the re-planned move is the same', async () => {
    const { root, ws } = await project();
    const move = { type: 'move', from: 'assets/a.txt', to: 'assets/moved/a.txt' } as const;
    const preview = ws.preview(move);
    const build = await runBuild(ws);
    // The build recorded its pack: the revision moved on, but nothing a move plan reads changed.
    expect(build.revisionAfter).toBeGreaterThan(preview.baseRevision);
    const result = await ws.apply(move, { expectedRevision: preview.baseRevision });
    expect(result.revisionBefore).toBe(build.revisionAfter);
    expect(existsSync(path.join(root, 'assets/moved/a.txt'))).toBe(true);
    expect(ws.state.byPath.get('assets/moved/a.txt')?.id).toBe(
      preview.registryMutations[0]!.op === 'update' ? preview.registryMutations[0]!.before.id : undefined,
    );
  });

  it('an unrelated commit in between is no conflict either, also when the caller hands over the plan it previewed', async () => {
    const { ws } = await project();
    const move = { type: 'move', from: 'assets/a.txt', to: 'assets/z.txt' } as const;
    const preview = ws.preview(move);
    await ws.apply({ type: 'update', target: 'assets/b.txt', addTags: ['ui'] });
    // As a daemon does for an apply by plan id: the previewed plan itself, not the workspace's memory of it.
    const fresh = await Workspace.open(ws.root);
    open.push(fresh);
    await ws.close();
    open.splice(open.indexOf(ws), 1);
    await fresh.apply(move, { expectedRevision: preview.baseRevision, previewed: preview });
    expect(fresh.state.byPath.has('assets/z.txt')).toBe(true);
  });

  it('a change to what the plan moves is a CONFLICT that says what changed, and changes nothing', async () => {
    const { root, ws } = await project();
    const move = { type: 'move', from: 'assets/a.txt', to: 'assets/z.txt' } as const;
    const preview = ws.preview(move);
    // Another client changes the very asset between preview and apply: the move would now carry other tags.
    await ws.apply({ type: 'update', target: 'assets/a.txt', addTags: ['hero'] });
    const conflict = await conflictOf(ws.apply(move, { expectedRevision: preview.baseRevision }));
    expect(conflict.data).toMatchObject({
      expectedRevision: preview.baseRevision,
      currentRevision: ws.snapshot.revision,
    });
    expect(conflict.data.changes).toEqual([
      expect.stringMatching(
        /^registry change no longer planned: update a_\w+ from assets\/a.txt \(kind text\) to assets\/z.txt \(kind text\)$/,
      ),
      expect.stringMatching(
        /^registry change now planned: update a_\w+ from assets\/a.txt \(kind text, tags hero\) to assets\/z.txt \(kind text, tags hero\)$/,
      ),
    ]);
    expect(conflict.message).toContain('; the plan changed: registry change no longer planned: update');
    expect(existsSync(path.join(root, 'assets/a.txt'))).toBe(true);

    // Another apply moved the file away: the re-planned move is blocked, and the conflict names the blocker.
    const again = ws.preview(move);
    await ws.apply({ type: 'move', from: 'assets/a.txt', to: 'assets/elsewhere.txt' });
    const gone = await conflictOf(ws.apply(move, { expectedRevision: again.baseRevision }));
    expect(gone.data.changes).toContain('file change no longer planned: move assets/a.txt → assets/z.txt');
    expect(gone.data.changes!.some((change) => change.startsWith('blocker now planned: '))).toBe(true);
    expect(ws.state.byPath.has('assets/elsewhere.txt')).toBe(true);
  });

  it('without a preview to compare with (made before a restart), a moved revision is still a CONFLICT', async () => {
    const { ws } = await project();
    const conflict = await conflictOf(ws.apply({ type: 'remove', targets: ['assets/c.txt'] }, { expectedRevision: 1 }));
    expect(conflict.data.changes).toBeUndefined();
  });
});
