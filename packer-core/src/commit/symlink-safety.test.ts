import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProjectFiles, readRegistryText } from '../testing/project-state.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import type { CommitPoint } from './commit-journal.js';
import { packerErrorOf } from '../testing/packer-error-of.js';

const SFX = Object.fromEntries(
  Array.from({ length: 20 }, (_, index) => [`assets/audio/sfx/s${index}.txt`, `sound ${index}`]),
);
const FILES = {
  ...SFX,
  'assets/text/a.txt': 'a',
  'assets/text/b.txt': 'b',
  'assets/text/c.txt': 'c',
  'assets/data/d.json': '{}',
  'assets/dest/keep.txt': 'k',
};

async function registered(hook?: (point: CommitPoint) => void): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(FILES);
  const setup = await Workspace.open(root);
  await setup.apply({ type: 'register', paths: ['assets'] });
  await setup.close();
  return { root, ws: await Workspace.open(root, hook ? { commitHook: hook } : {}) };
}

/** Every file below `dir`, relative to it (symlinks are not followed). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('a move target behind an in-project symlink', () => {
  it('is a SYMLINK_IN_PATH blocker and nothing moves (ids are never stranded on paths the scan cannot see)', async () => {
    const { root, ws } = await registered();
    // `ln -s ../data assets/text/inlink`: a link that stays inside the project.
    symlinkSync('../data', path.join(root, 'assets/text/inlink'));
    await ws.refresh();
    const before = readProjectFiles(root);
    const registry = readRegistryText(root);
    const mutation = { type: 'move', from: 'assets/audio/sfx', to: 'assets/text/inlink/sfx' } as const;

    const plan = ws.preview(mutation);
    expect(plan.blockers.map((item) => item.code)).toEqual(['SYMLINK_IN_PATH']);
    expect(plan.blockers[0]).toMatchObject({
      path: 'assets/text/inlink/sfx',
      message: expect.stringContaining('assets/text/inlink'),
    });

    const error = await packerErrorOf(ws.apply(mutation));
    expect(error.code).toBe('BLOCKED');
    expect(readProjectFiles(root)).toEqual(before);
    expect(existsSync(path.join(root, 'assets/data/sfx'))).toBe(false);
    expect(readRegistryText(root)).toBe(registry);
    expect(ws.snapshot.summary).toMatchObject({ missing: 0 });
    await ws.close();
  });

  it('a target that is itself a symlink is blocked too', async () => {
    const { root, ws } = await registered();
    symlinkSync('data', path.join(root, 'assets/linked'));
    await ws.refresh();
    const plan = ws.preview({ type: 'move', from: 'assets/text/a.txt', to: 'assets/linked' });
    expect(plan.blockers.map((item) => item.code)).toContain('SYMLINK_IN_PATH');
    await ws.close();
  });
});

describe('a folder swapped for a symlink while an apply runs', () => {
  it('a move whose target folder becomes a link to an outside folder fails with SYMLINK_IN_PATH and moves nothing out', async () => {
    const outside = makeTempDir('packer-outside-');
    let root = '';
    const { root: projectRoot, ws } = await registered((point) => {
      if (point !== 'journal-written') return;
      // Between the plan and the first step: the real folder goes away and a link to the outside takes its place.
      renameSync(path.join(root, 'assets/dest'), path.join(root, 'dest-moved-away'));
      symlinkSync(outside, path.join(root, 'assets/dest'));
    });
    root = projectRoot;
    const registry = readRegistryText(root);

    const error = await packerErrorOf(ws.apply({ type: 'move', from: 'assets/audio/sfx', to: 'assets/dest/sfx' }));
    expect(error.code).toBe('SYMLINK_IN_PATH');
    expect(error.data).toMatchObject({ path: 'assets/dest' });
    expect(filesUnder(outside)).toEqual([]);
    expect(filesUnder(path.join(root, 'assets/audio/sfx'))).toEqual(
      Object.keys(SFX)
        .map((file) => path.basename(file))
        .sort(),
    );
    expect(readRegistryText(root)).toBe(registry);
    expect(existsSync(path.join(root, '.packer/journal.json'))).toBe(false);
    expect(ws.audit.list({ limit: 1 })[0]).toMatchObject({ result: 'failed', error: { code: 'SYMLINK_IN_PATH' } });
    await ws.close();
  });

  it('deletes whose folder becomes a link between steps never reach outside files, and no file is lost', async () => {
    const outside = makeTempDir('packer-outside-');
    writeFileSync(path.join(outside, 'b.txt'), "someone else's b");
    writeFileSync(path.join(outside, 'c.txt'), "someone else's c");
    let root = '';
    const { root: projectRoot, ws } = await registered((point) => {
      if (point !== 'step-0') return;
      renameSync(path.join(root, 'assets/text'), path.join(root, 'text-moved-away'));
      symlinkSync(outside, path.join(root, 'assets/text'));
    });
    root = projectRoot;
    const registry = readRegistryText(root);

    const error = await packerErrorOf(ws.apply({ type: 'remove', targets: ['assets/text'], deleteFiles: true }));
    expect(error.code).toBe('SYMLINK_IN_PATH');
    // The outside files are untouched, and nothing was added next to them.
    expect(filesUnder(outside)).toEqual(['b.txt', 'c.txt']);
    expect(readRegistryText(root)).toBe(registry);
    // The one file already parked in the trash could not go back through the link: it is kept and named, not deleted.
    const problems = error.data.rollbackProblems as { code: string; path: string; hint: string }[];
    expect(problems).toEqual([expect.objectContaining({ code: 'SYMLINK_IN_PATH', path: 'assets/text/a.txt' })]);
    const trash = path.join(root, problems[0]!.hint.match(/kept at (\S+)\./)![1]!);
    expect(lstatSync(trash).isFile()).toBe(true);
    expect(filesUnder(path.join(root, 'text-moved-away'))).toEqual(['b.txt', 'c.txt']);
    await ws.close();
  });

  it('the trash folder (.packer) swapped for a link is refused as well', async () => {
    const outside = makeTempDir('packer-outside-');
    let root = '';
    const { root: projectRoot, ws } = await registered((point) => {
      if (point !== 'journal-written') return;
      mkdirSync(path.join(outside, 'trash'));
      renameSync(path.join(root, '.packer/trash'), path.join(root, 'trash-moved-away'));
      symlinkSync(path.join(outside, 'trash'), path.join(root, '.packer/trash'));
    });
    root = projectRoot;
    // The trash folder exists only once a delete needs it: make it exist before the apply starts.
    mkdirSync(path.join(root, '.packer/trash'), { recursive: true });
    const error = await packerErrorOf(ws.apply({ type: 'remove', targets: ['assets/text/a.txt'], deleteFiles: true }));
    expect(error.code).toBe('SYMLINK_IN_PATH');
    expect(filesUnder(outside)).toEqual([]);
    expect(existsSync(path.join(root, 'assets/text/a.txt'))).toBe(true);
    await ws.close();
  });
});
