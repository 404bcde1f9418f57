import { afterEach, describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { AUDIT_CHANGE_PATHS } from './audit-changes.js';

// The audit record says what a mutation changed (counts and the first paths), not only its kind.

const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

describe('audit records carry what changed', () => {
  it('register, move, update and remove: counts and paths, bounded for big mutations', async () => {
    const files: Record<string, string> = { 'assets/hero.png': 'hero', 'assets/tree.png': 'tree' };
    for (let index = 0; index < 20; index++)
      files[`assets/many/file-${String(index).padStart(2, '0')}.txt`] = `text ${index}`;
    const root = makeTempProject(files);
    const ws = await Workspace.open(root);
    open.push(ws);

    await ws.apply({ type: 'register', paths: ['assets'] });
    await ws.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/chars/hero.png' });
    await ws.apply({ type: 'update', target: 'assets/tree.png', addTags: ['forest'] });
    await ws.apply({ type: 'remove', targets: ['assets/many'], deleteFiles: true });
    const [register, move, update, remove] = ws.audit.list().map((record) => record.changes);

    expect(register).toMatchObject({
      registered: 22,
      moved: 0,
      removed: 0,
      updated: 0,
      movedFiles: 0,
      deletedFiles: 0,
    });
    expect(register!.firstPaths).toHaveLength(AUDIT_CHANGE_PATHS);
    expect(move).toEqual({
      registered: 0,
      moved: 1,
      removed: 0,
      updated: 0,
      movedFiles: 1,
      deletedFiles: 0,
      firstPaths: ['assets/hero.png → assets/chars/hero.png'],
    });
    expect(update).toEqual({
      registered: 0,
      moved: 0,
      removed: 0,
      updated: 1,
      movedFiles: 0,
      deletedFiles: 0,
      firstPaths: ['assets/tree.png'],
    });
    expect(remove).toMatchObject({
      removed: 20,
      deletedFiles: 20,
      firstPaths: [
        'assets/many/file-00.txt',
        'assets/many/file-01.txt',
        'assets/many/file-02.txt',
        'assets/many/file-03.txt',
        'assets/many/file-04.txt',
      ],
    });
  });

  it('a refused mutation records no changes', async () => {
    const root = makeTempProject({ 'assets/hero.png': 'hero' });
    const ws = await Workspace.open(root);
    open.push(ws);
    await expect(ws.apply({ type: 'move', from: 'assets/nothing.png', to: 'assets/x.png' })).rejects.toThrow();
    expect(ws.audit.list().at(-1)).toMatchObject({ result: 'blocked' });
    expect(ws.audit.list().at(-1)!.changes).toBeUndefined();
  });
});
