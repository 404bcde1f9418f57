import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import type { Plan } from '../contract/mutation-schema.js';
import { readProjectFiles } from '../testing/project-state.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

const GODOT: ProjectConfigInput = {
  ...TEST_CONFIG,
  sidecars: ['{path}.import', '{path}.uid'],
  kinds: { ...TEST_CONFIG.kinds, script: { extensions: ['.gd'], processor: 'text' } },
};
const UNITY: ProjectConfigInput = { ...TEST_CONFIG, assetRoots: ['Assets'], packs: [], sidecars: ['{path}.meta'] };

/** A Godot-shaped tree: an image with its `.import`, a script with its `.uid`, and plain files. */
const GODOT_FILES = {
  'assets/x.png': 'png-x',
  'assets/x.png.import': '[remap]\nsource_file="res://assets/x.png"\n',
  'assets/player.gd': 'extends Node\n',
  'assets/player.gd.uid': 'uid://abc\n',
  'assets/readme.txt': 'hello',
};

/** A Unity-shaped tree: a `.meta` beside every file and folder, an empty folder with its own `.meta`. */
const UNITY_FILES = {
  'Assets/Sprites.meta': 'folderAsset: yes\n',
  'Assets/Sprites/Hero.png': 'png-hero',
  'Assets/Sprites/Hero.png.meta': 'guid: 1\n',
  'Assets/Sprites/Enemies.meta': 'folderAsset: yes\n',
  'Assets/Sprites/Enemies/Bat.png': 'png-bat',
  'Assets/Sprites/Enemies/Bat.png.meta': 'guid: 2\n',
  'Assets/Empty.meta': 'folderAsset: yes\n',
};

const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

async function openProject(
  files: Record<string, string>,
  config: ProjectConfigInput,
): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(files, config);
  const ws = await Workspace.open(root);
  open.push(ws);
  return { root, ws };
}

const codes = (ws: Workspace): string[] => ws.snapshot.diagnostics.map((item) => item.code).sort();
const fileSteps = (plan: Plan): string[] =>
  plan.filesystemMutations.map(
    (step) =>
      (step.op === 'move' ? `move ${step.from} → ${step.to}` : `delete ${step.path}`) +
      (step.sidecarOf ? ` [${step.sidecarOf}]` : ''),
  );

describe('sidecars (Godot: {path}.import, {path}.uid)', () => {
  it('are neither untracked nor registered: adding the folder registers only the assets', async () => {
    const { ws } = await openProject(GODOT_FILES, GODOT);
    expect(ws.snapshot.untracked.map((file) => file.path).sort()).toEqual([
      'assets/player.gd',
      'assets/readme.txt',
      'assets/x.png',
    ]);
    expect(codes(ws)).toEqual(['UNTRACKED_FILE', 'UNTRACKED_FILE', 'UNTRACKED_FILE']);
    await ws.apply({ type: 'register', paths: ['assets'] });
    expect(ws.snapshot.assets.map((asset) => asset.path).sort()).toEqual([
      'assets/player.gd',
      'assets/readme.txt',
      'assets/x.png',
    ]);
    expect(ws.snapshot.diagnostics).toEqual([]);
  });

  it('registering a sidecar by name is a blocker that names its asset', async () => {
    const { ws } = await openProject(GODOT_FILES, GODOT);
    const plan = ws.preview({ type: 'register', paths: ['assets/x.png.import'] });
    expect(plan.blockers).toMatchObject([
      {
        code: 'SIDECAR_NOT_ASSET',
        path: 'assets/x.png.import',
        hint: expect.stringContaining('packer add assets/x.png'),
      },
    ]);
    expect(plan.registryMutations).toEqual([]);
  });

  it('a move carries the sidecars in the same commit, listed in the plan', async () => {
    const { root, ws } = await openProject(GODOT_FILES, GODOT);
    await ws.apply({ type: 'register', paths: ['assets'] });
    const id = ws.state.byPath.get('assets/x.png')!.id;
    const result = await ws.apply({ type: 'move', from: 'assets/x.png', to: 'assets/art/y.png' });
    expect(fileSteps(result.plan)).toEqual([
      'move assets/x.png → assets/art/y.png',
      'move assets/x.png.import → assets/art/y.png.import [assets/x.png]',
    ]);
    expect(result.plan.registryMutations).toHaveLength(1);
    expect(Object.keys(readProjectFiles(root)).filter((file) => file.startsWith('assets/'))).toEqual([
      'assets/art/y.png',
      'assets/art/y.png.import',
      'assets/player.gd',
      'assets/player.gd.uid',
      'assets/readme.txt',
    ]);
    expect(ws.state.byPath.get('assets/art/y.png')!.id).toBe(id);
    expect(ws.snapshot.diagnostics).toEqual([]);
    expect((await ws.refresh()).changed).toBe(false);

    // A rename of the script carries its .uid; an asset without sidecars moves alone.
    expect(fileSteps(ws.preview({ type: 'move', from: 'assets/player.gd', to: 'assets/hero.gd' }))).toEqual([
      'move assets/player.gd → assets/hero.gd',
      'move assets/player.gd.uid → assets/hero.gd.uid [assets/player.gd]',
    ]);
    expect(fileSteps(ws.preview({ type: 'move', from: 'assets/readme.txt', to: 'assets/notes.txt' }))).toEqual([
      'move assets/readme.txt → assets/notes.txt',
    ]);
  });

  it('a sidecar destination that already exists blocks the move, and nothing moves', async () => {
    const { root, ws } = await openProject(
      { ...GODOT_FILES, 'assets/z.png.import': 'stale, from a deleted z.png' },
      GODOT,
    );
    await ws.apply({ type: 'register', paths: ['assets'] });
    expect(ws.snapshot.diagnostics).toMatchObject([{ code: 'ORPHAN_SIDECAR', path: 'assets/z.png.import' }]);
    const before = readProjectFiles(root);
    const plan = ws.preview({ type: 'move', from: 'assets/x.png', to: 'assets/z.png' });
    expect(plan.blockers).toMatchObject([{ code: 'TARGET_EXISTS', path: 'assets/z.png.import' }]);
    await expect(ws.apply({ type: 'move', from: 'assets/x.png', to: 'assets/z.png' })).rejects.toMatchObject({
      code: 'BLOCKED',
    });
    expect(readProjectFiles(root)).toEqual(before);
  });

  it('a sidecar destination that is a file the scan ignores blocks too (a rename never overwrites)', async () => {
    const { ws } = await openProject(
      { ...GODOT_FILES, 'assets/z.png.import': 'x' },
      { ...GODOT, ignore: ['**/z.png.import'] },
    );
    await ws.apply({ type: 'register', paths: ['assets'] });
    expect(ws.preview({ type: 'move', from: 'assets/x.png', to: 'assets/z.png' }).blockers).toMatchObject([
      { code: 'TARGET_EXISTS', path: 'assets/z.png.import' },
    ]);
  });

  it('remove with deleteFiles deletes the sidecars too; without it, they stay (and stay sidecars)', async () => {
    const { root, ws } = await openProject(GODOT_FILES, GODOT);
    await ws.apply({ type: 'register', paths: ['assets'] });
    const kept = ws.preview({ type: 'remove', targets: ['assets/x.png'] });
    expect(kept.filesystemMutations).toEqual([]);
    await ws.apply({ type: 'remove', targets: ['assets/player.gd'] });
    expect(existsSync(path.join(root, 'assets/player.gd.uid'))).toBe(true);
    // Its owner is now untracked, and the sidecar still is no file of its own to adopt.
    expect(ws.snapshot.untracked.map((file) => file.path)).toEqual(['assets/player.gd']);

    const result = await ws.apply({ type: 'remove', targets: ['assets/x.png'], deleteFiles: true });
    expect(fileSteps(result.plan)).toEqual(['delete assets/x.png', 'delete assets/x.png.import [assets/x.png]']);
    expect(existsSync(path.join(root, 'assets/x.png'))).toBe(false);
    expect(existsSync(path.join(root, 'assets/x.png.import'))).toBe(false);
    expect(existsSync(path.join(root, '.packer/trash'))).toBe(false);
    expect(codes(ws)).toEqual(['UNTRACKED_FILE']);
  });

  it('an asset deleted outside leaves an orphan sidecar (a warning naming the asset); rm --delete-file removes it', async () => {
    const { root, ws } = await openProject(GODOT_FILES, GODOT);
    await ws.apply({ type: 'register', paths: ['assets'] });
    const id = ws.state.byPath.get('assets/x.png')!.id;
    rmSync(path.join(root, 'assets/x.png'));
    await ws.refresh(['assets/x.png']);
    expect(ws.snapshot.diagnostics.find((item) => item.code === 'ORPHAN_SIDECAR')).toMatchObject({
      severity: 'warning',
      assetId: id,
      path: 'assets/x.png.import',
      hint: expect.stringContaining(`packer rm ${id} --delete-file`),
    });
    expect(ws.snapshot.untracked).toEqual([]);
    const result = await ws.apply({ type: 'remove', targets: [id], deleteFiles: true });
    expect(fileSteps(result.plan)).toEqual(['delete assets/x.png.import [assets/x.png]']);
    expect(existsSync(path.join(root, 'assets/x.png.import'))).toBe(false);
    expect(ws.snapshot.diagnostics).toEqual([]);
  });

  it('an outside move that leaves the sidecar behind is SIDECAR_LEFT_BEHIND; reconcile relinks and moves the sidecar in one commit', async () => {
    const { root, ws } = await openProject(GODOT_FILES, GODOT);
    await ws.apply({ type: 'register', paths: ['assets'] });
    const id = ws.state.byPath.get('assets/x.png')!.id;
    mkdirSync(path.join(root, 'assets/art'));
    renameSync(path.join(root, 'assets/x.png'), path.join(root, 'assets/art/x.png'));
    await ws.refresh(['assets/x.png', 'assets/art']);
    const left = ws.snapshot.diagnostics.filter((item) => item.code === 'SIDECAR_LEFT_BEHIND');
    expect(left).toMatchObject([{ severity: 'warning', assetId: id, path: 'assets/x.png.import' }]);
    expect(left[0]!.message).toContain('assets/art/x.png.import');
    expect(codes(ws)).toEqual(['MOVED_OUTSIDE', 'SIDECAR_LEFT_BEHIND']);

    const result = await ws.apply({ type: 'reconcile' });
    expect(fileSteps(result.plan)).toEqual(['move assets/x.png.import → assets/art/x.png.import [assets/x.png]']);
    expect(readFileSync(path.join(root, 'assets/art/x.png.import'), 'utf8')).toBe(GODOT_FILES['assets/x.png.import']);
    expect(existsSync(path.join(root, 'assets/x.png.import'))).toBe(false);
    expect(ws.state.byPath.get('assets/art/x.png')!.id).toBe(id);
    expect(ws.snapshot.diagnostics).toEqual([]);
  });

  it('when the engine already made the new sidecar, the old one is an orphan and reconcile leaves it alone', async () => {
    const { root, ws } = await openProject(GODOT_FILES, GODOT);
    await ws.apply({ type: 'register', paths: ['assets'] });
    renameSync(path.join(root, 'assets/x.png'), path.join(root, 'assets/y.png'));
    writeFileSync(path.join(root, 'assets/y.png.import'), 'made by the engine');
    await ws.refresh(['assets/x.png', 'assets/y.png', 'assets/y.png.import']);
    expect(codes(ws)).toEqual(['MOVED_OUTSIDE', 'ORPHAN_SIDECAR']);
    const plan = ws.preview({ type: 'reconcile' });
    expect(plan.filesystemMutations).toEqual([]);
    expect(plan.registryMutations).toHaveLength(1);
  });

  it('packer relink by hand carries a left-behind sidecar too', async () => {
    const { root, ws } = await openProject(GODOT_FILES, GODOT);
    await ws.apply({ type: 'register', paths: ['assets'] });
    renameSync(path.join(root, 'assets/player.gd'), path.join(root, 'assets/hero.gd'));
    writeFileSync(path.join(root, 'assets/hero.gd'), 'extends CharacterBody2D\n# rewritten\n');
    await ws.refresh(['assets/player.gd', 'assets/hero.gd']);
    const result = await ws.apply({ type: 'relink', from: 'assets/player.gd', to: 'assets/hero.gd' });
    expect(fileSteps(result.plan)).toEqual(['move assets/player.gd.uid → assets/hero.gd.uid [assets/player.gd]']);
    expect(ws.snapshot.diagnostics).toEqual([]);
  });

  it('a sidecar registered before the rule existed is flagged, and still moves with its owner', async () => {
    const root = makeTempProject(GODOT_FILES, TEST_CONFIG);
    let ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets'] });
    await ws.close();
    writeFileSync(path.join(root, 'packer.json'), JSON.stringify(GODOT));
    ws = await Workspace.open(root);
    open.push(ws);
    const sidecarId = ws.state.byPath.get('assets/x.png.import')!.id;
    expect(
      ws.snapshot.diagnostics
        .filter((item) => item.code === 'SIDECAR_REGISTERED')
        .map((item) => item.path)
        .sort(),
    ).toEqual(['assets/player.gd.uid', 'assets/x.png.import']);
    await ws.apply({ type: 'move', from: 'assets/x.png', to: 'assets/y.png' });
    expect(ws.state.byPath.get('assets/y.png.import')?.id).toBe(sidecarId);
    expect(ws.snapshot.assets.filter((asset) => asset.status === 'missing')).toEqual([]);
  });
});

describe('sidecars (Unity: {path}.meta, folders included)', () => {
  it("hides file and folder .meta files, an empty folder's included", async () => {
    const { root, ws } = await openProject(UNITY_FILES, UNITY);
    mkdirSync(path.join(root, 'Assets/Empty'));
    await ws.refresh();
    expect(ws.snapshot.untracked.map((file) => file.path).sort()).toEqual([
      'Assets/Sprites/Enemies/Bat.png',
      'Assets/Sprites/Hero.png',
    ]);
    expect(codes(ws)).toEqual(['UNTRACKED_FILE', 'UNTRACKED_FILE']);
    // The empty folder goes away: its .meta is now an orphan (the rescan of the folder looks at its sidecar too).
    rmdirSync(path.join(root, 'Assets/Empty'));
    await ws.refresh(['Assets/Empty']);
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'ORPHAN_SIDECAR').map((item) => item.path)).toEqual([
      'Assets/Empty.meta',
    ]);
  });

  it("a folder move carries the folder's own .meta; the .meta files inside travel with the folder", async () => {
    const { root, ws } = await openProject(UNITY_FILES, UNITY);
    mkdirSync(path.join(root, 'Assets/Empty'));
    await ws.apply({ type: 'register', paths: ['Assets'] });
    const result = await ws.apply({ type: 'move', from: 'Assets/Sprites', to: 'Assets/Art' });
    expect(fileSteps(result.plan)).toEqual([
      'move Assets/Sprites → Assets/Art',
      'move Assets/Sprites.meta → Assets/Art.meta [Assets/Sprites]',
    ]);
    expect(
      Object.keys(readProjectFiles(root))
        .filter((file) => file.startsWith('Assets/'))
        .sort(),
    ).toEqual([
      'Assets/Art.meta',
      'Assets/Art/Enemies.meta',
      'Assets/Art/Enemies/Bat.png',
      'Assets/Art/Enemies/Bat.png.meta',
      'Assets/Art/Hero.png',
      'Assets/Art/Hero.png.meta',
      'Assets/Empty.meta',
    ]);
    expect(ws.snapshot.diagnostics).toEqual([]);
    // The folder's .meta destination taken: blocked.
    writeFileSync(path.join(root, 'Assets/Gfx.meta'), 'folderAsset: yes\n');
    await ws.refresh(['Assets/Gfx.meta']);
    expect(ws.preview({ type: 'move', from: 'Assets/Art', to: 'Assets/Gfx' }).blockers).toMatchObject([
      { code: 'TARGET_EXISTS', path: 'Assets/Gfx.meta' },
    ]);
  });

  it('a folder moved outside leaves its .meta behind as an orphan', async () => {
    const { root, ws } = await openProject(UNITY_FILES, UNITY);
    rmSync(path.join(root, 'Assets/Empty.meta'));
    await ws.apply({ type: 'register', paths: ['Assets'] });
    renameSync(path.join(root, 'Assets/Sprites'), path.join(root, 'Assets/Art'));
    await ws.refresh(['Assets/Sprites', 'Assets/Art']);
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'ORPHAN_SIDECAR').map((item) => item.path)).toEqual([
      'Assets/Sprites.meta',
    ]);
  });
});
