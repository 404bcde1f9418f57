import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

const FILES = { 'assets/text/a.txt': 'a', 'assets/text/b.txt': 'b', 'assets/keep.png': 'png' };

describe('revisions after the state folder is reset', () => {
  it('a preview made before `rm -rf .packer` never matches the new state: CONFLICT, nothing deleted', async () => {
    const root = makeTempProject(FILES);
    const first = await Workspace.open(root);
    await first.apply({ type: 'register', paths: ['assets'] });
    const remove = { type: 'remove', targets: ['assets/text'], deleteFiles: true } as const;
    const preview = first.preview(remove);
    expect(preview.filesystemMutations).toHaveLength(2);
    await first.close();

    // `git clean -fdX` removes the git-ignored state folder; meanwhile the folder grew.
    rmSync(path.join(root, '.packer'), { recursive: true, force: true });
    for (const name of ['c', 'd', 'e']) writeFileSync(path.join(root, `assets/text/${name}.txt`), name);
    const second = await Workspace.open(root);
    await second.apply({ type: 'register', paths: ['assets/text'] });
    // Walk the new counter up to the old number, as ordinary activity would (on the old code it started at 1).
    for (let guard = 0; second.snapshot.revision < preview.baseRevision && guard < 100; guard++)
      await second.recordBuilds([]);

    const error = await packerErrorOf(second.apply(remove, { expectedRevision: preview.baseRevision }));
    expect(error.code).toBe('CONFLICT');
    expect(readdirSync(path.join(root, 'assets/text')).sort()).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt']);
    expect(second.snapshot.revision).toBeGreaterThan(preview.baseRevision);
    await second.close();
  });

  it.each([
    ['garbage', 'not a number\n'],
    ['a negative number', '-5\n'],
    ['a smaller number', '3\n'],
    ['an unsafe number', '99999999999999999999\n'],
    ['an empty file', ''],
  ])('%s in .packer/revision never moves the revision backwards', async (_name, content) => {
    const root = makeTempProject(FILES);
    const first = await Workspace.open(root);
    await first.apply({ type: 'register', paths: ['assets'] });
    const seen = first.snapshot.revision;
    await first.close();

    writeFileSync(path.join(root, '.packer/revision'), content);
    const second = await Workspace.open(root);
    expect(second.snapshot.revision).toBeGreaterThan(seen);
    const result = await second.apply({ type: 'update', target: 'assets/keep.png', addTags: ['x'] });
    expect(result.revisionAfter).toBe(result.revisionBefore + 1);
    await second.close();
  });

  it('a deleted revision file alone does not repeat revisions either', async () => {
    const root = makeTempProject(FILES);
    const first = await Workspace.open(root);
    await first.apply({ type: 'register', paths: ['assets'] });
    const seen = first.snapshot.revision;
    await first.close();
    rmSync(path.join(root, '.packer/revision'));
    const second = await Workspace.open(root);
    expect(second.snapshot.revision).toBeGreaterThan(seen);
    expect(existsSync(path.join(root, '.packer/revision'))).toBe(true);
    await second.close();
  });
});
