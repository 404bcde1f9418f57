import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editLines, patternPng, scriptText } from '@packer/fixtures';
import type { DivergenceEntry } from '../contract/snapshot-schema.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { fingerprintBytes, similarity } from './content-fingerprint.js';

// Renamed-and-edited files keep their ids through reconcile (scored like git's rename detection), and an
// ambiguous match blocks only the assets and files it involves.

const CONFIG = { ...TEST_CONFIG, kinds: { ...TEST_CONFIG.kinds, script: { extensions: ['.gd'], processor: 'text' } } };
const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

async function registered(files: Record<string, string | Uint8Array>): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(files, CONFIG);
  const ws = await Workspace.open(root);
  open.push(ws);
  await ws.apply({ type: 'register', paths: ['assets'] });
  return { root, ws };
}

function write(root: string, relative: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

function renameAndEdit(root: string, from: string, to: string, content: string | Uint8Array): void {
  rmSync(path.join(root, from));
  write(root, to, content);
}

function divergence(ws: Workspace): DivergenceEntry[] {
  return [...ws.snapshot.divergence];
}

describe('content fingerprints', () => {
  it('score like git: 20% of lines edited keeps ~80%, unrelated text scores 0, text and binary never compare', () => {
    const text = scriptText('player', 100);
    const score = similarity(
      fingerprintBytes(Buffer.from(text))!,
      fingerprintBytes(Buffer.from(editLines(text, 0.2)))!,
    );
    expect(score).toBeGreaterThan(0.7);
    expect(score).toBeLessThan(0.9);
    expect(
      similarity(fingerprintBytes(Buffer.from(text))!, fingerprintBytes(Buffer.from(scriptText('enemy', 100)))!),
    ).toBe(0);
    expect(similarity(fingerprintBytes(Buffer.from(text))!, fingerprintBytes(patternPng())!)).toBe(0);
    expect(fingerprintBytes(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('reconcile after outside renames with edits', () => {
  it('a text file renamed and 20% edited is proposed as a relink with its score and reason; applying keeps the id', async () => {
    const text = scriptText('player', 50);
    const { root, ws } = await registered({ 'assets/scripts/player.gd': text, 'assets/readme.txt': 'hello' });
    const id = ws.state.byPath.get('assets/scripts/player.gd')!.id;
    renameAndEdit(root, 'assets/scripts/player.gd', 'assets/scripts/hero.gd', editLines(text, 0.2));
    await ws.refresh();

    const moved = divergence(ws).find((entry) => entry.type === 'moved');
    expect(moved).toMatchObject({
      type: 'moved',
      assetId: id,
      from: 'assets/scripts/player.gd',
      to: 'assets/scripts/hero.gd',
    });
    expect(moved?.type === 'moved' && moved.similarity?.score).toBeGreaterThanOrEqual(0.75);
    expect(moved?.type === 'moved' && moved.similarity?.reason).toMatch(/% of the content kept, same folder/);
    // A proposal, not a silent repair: the registry still says the old path until reconcile is applied.
    expect(ws.state.byId.get(id)?.path).toBe('assets/scripts/player.gd');

    const plan = ws.preview({ type: 'reconcile' });
    expect(plan.blockers).toEqual([]);
    expect(plan.registryMutations).toEqual([
      {
        op: 'update',
        before: expect.objectContaining({ id, path: 'assets/scripts/player.gd' }),
        after: expect.objectContaining({ id, path: 'assets/scripts/hero.gd' }),
      },
    ]);
    const note = plan.warnings.find((item) => item.code === 'SIMILAR_CONTENT');
    expect(note?.message).toMatch(
      /Relink assets\/scripts\/player\.gd → assets\/scripts\/hero\.gd: renamed and edited \(\d+% of the content kept, same folder\)/,
    );

    await ws.apply({ type: 'reconcile' });
    expect(ws.state.byId.get(id)?.path).toBe('assets/scripts/hero.gd');
    expect(ws.snapshot.divergence).toEqual([]);
  });

  it('below the threshold it is a drop and an adopt (new id), and `relink` by hand then keeps the id', async () => {
    const text = scriptText('player', 50);
    const { root, ws } = await registered({ 'assets/scripts/player.gd': text });
    const id = ws.state.byPath.get('assets/scripts/player.gd')!.id;
    renameAndEdit(root, 'assets/scripts/player.gd', 'assets/scripts/hero.gd', editLines(text, 0.8));
    await ws.refresh();
    expect(
      divergence(ws)
        .map((entry) => entry.type)
        .sort(),
    ).toEqual(['missing', 'untracked']);
    const plan = ws.preview({ type: 'reconcile' });
    expect(plan.registryMutations.map((change) => change.op).sort()).toEqual(['add', 'remove']);

    const relink = ws.preview({ type: 'relink', from: 'assets/scripts/player.gd', to: 'assets/scripts/hero.gd' });
    expect(relink.blockers).toEqual([]);
    expect(relink.filesystemMutations).toEqual([]);
    await ws.apply({ type: 'relink', from: id, to: 'assets/scripts/hero.gd' });
    expect(ws.state.byId.get(id)).toMatchObject({ path: 'assets/scripts/hero.gd', status: 'present', kind: 'script' });
    expect(ws.snapshot.divergence).toEqual([]);
  });

  it('relink refuses a present asset, a registered or absent target, and a target outside the roots', async () => {
    const { root, ws } = await registered({
      'assets/a.txt': 'a',
      'assets/b.txt': 'b',
      'assets/gone.txt': 'gone for good',
    });
    rmSync(path.join(root, 'assets/gone.txt'));
    write(root, 'elsewhere/gone.txt', 'x');
    write(root, 'assets/new.txt', 'new');
    await ws.refresh();
    const codes = (from: string, to: string): string[] =>
      ws.preview({ type: 'relink', from, to }).blockers.map((item) => item.code);
    expect(codes('assets/a.txt', 'assets/new.txt')).toEqual(['ASSET_PRESENT']);
    expect(codes('assets/gone.txt', 'assets/b.txt')).toEqual(['ALREADY_REGISTERED']);
    expect(codes('assets/gone.txt', 'assets/nothing.txt')).toEqual(['NOT_FOUND']);
    expect(codes('assets/gone.txt', 'elsewhere/gone.txt')).toEqual(['INVALID_PATH']);
    expect(codes('assets/gone.txt', 'assets/new.txt')).toEqual([]);
    await expect(ws.apply({ type: 'relink', from: 'assets/a.txt', to: 'assets/new.txt' })).rejects.toMatchObject({
      code: 'BLOCKED',
    });
  });

  it('a PNG renamed with a few pixels changed is relinked by chunk similarity', async () => {
    const { root, ws } = await registered({ 'assets/sprites/hero.png': patternPng(64) });
    const id = ws.state.byPath.get('assets/sprites/hero.png')!.id;
    renameAndEdit(
      root,
      'assets/sprites/hero.png',
      'assets/characters/hero_idle.png',
      patternPng(64, [
        [3, 4],
        [40, 41],
      ]),
    );
    await ws.refresh();
    const moved = divergence(ws).find((entry) => entry.type === 'moved');
    expect(moved).toMatchObject({ assetId: id, to: 'assets/characters/hero_idle.png' });
    expect(moved?.type === 'moved' && moved.similarity!.score).toBeGreaterThan(0.8);
    await ws.apply({ type: 'reconcile', include: ['relink'] });
    expect(ws.state.byId.get(id)?.path).toBe('assets/characters/hero_idle.png');
  });

  it('fingerprints outlive the process: a rename with edits made while nothing ran is still recognised', async () => {
    const text = scriptText('level', 40);
    const { root, ws } = await registered({ 'assets/levels/one.gd': text });
    const id = ws.state.byPath.get('assets/levels/one.gd')!.id;
    await ws.close();
    open.splice(open.indexOf(ws), 1);
    renameAndEdit(root, 'assets/levels/one.gd', 'assets/levels/first.gd', editLines(text, 0.25));
    const reopened = await Workspace.open(root);
    open.push(reopened);
    expect(divergence(reopened)).toEqual([
      expect.objectContaining({
        type: 'moved',
        assetId: id,
        to: 'assets/levels/first.gd',
        similarity: expect.anything(),
      }),
    ]);
  });
});

describe('ambiguous matches block only themselves', () => {
  it('two empty .gdignore files deleted and one created: those are left alone, every other proposal applies', async () => {
    const { root, ws } = await registered({
      'assets/a/.gdignore': '',
      'assets/b/.gdignore': '',
      'assets/keep.txt': 'kept',
      'assets/old.txt': 'to be deleted',
      'assets/moved.json': '{"moved":true}',
    });
    const [a, b] = ['assets/a/.gdignore', 'assets/b/.gdignore'].map((relative) => ws.state.byPath.get(relative)!.id);
    const movedId = ws.state.byPath.get('assets/moved.json')!.id;
    rmSync(path.join(root, 'assets/a/.gdignore'));
    rmSync(path.join(root, 'assets/b/.gdignore'));
    write(root, 'assets/c/.gdignore', '');
    rmSync(path.join(root, 'assets/old.txt'));
    write(root, 'assets/new.txt', 'brand new');
    mkdirSync(path.join(root, 'assets/data'));
    renameSync(path.join(root, 'assets/moved.json'), path.join(root, 'assets/data/moved.json'));
    await ws.refresh();

    expect(
      ws.snapshot.diagnostics
        .filter((item) => item.code === 'AMBIGUOUS_MATCH')
        .map((item) => item.assetId)
        .sort(),
    ).toEqual([a, b].sort());
    expect(divergence(ws)).toContainEqual({
      type: 'untracked',
      path: 'assets/c/.gdignore',
      ambiguousWith: expect.arrayContaining([a, b]),
    });

    for (const include of [undefined, ['relink'], ['drop', 'adopt']] as const) {
      const plan = ws.preview({ type: 'reconcile', ...(include ? { include: [...include] } : {}) });
      expect(plan.blockers).toEqual([]);
      expect(plan.warnings.filter((item) => item.code === 'AMBIGUOUS_SKIPPED').length).toBeGreaterThan(0);
      const touched = plan.registryMutations.map((change) =>
        change.op === 'update' ? change.after.path : change.entry.path,
      );
      expect(touched).not.toContain('assets/c/.gdignore');
      expect(touched).not.toContain('assets/a/.gdignore');
    }
    const result = await ws.apply({ type: 'reconcile' });
    expect(result.plan.registryMutations.map((change) => change.op).sort()).toEqual(['add', 'remove', 'update']);
    expect(ws.state.byId.get(movedId)?.path).toBe('assets/data/moved.json');
    expect(ws.state.byPath.has('assets/new.txt')).toBe(true);
    expect(ws.state.byPath.has('assets/old.txt')).toBe(false);
    // The ambiguous ones wait for the user.
    expect([ws.state.byId.get(a)?.status, ws.state.byId.get(b)?.status]).toEqual(['missing', 'missing']);
    expect(ws.state.untrackedByPath.has('assets/c/.gdignore')).toBe(true);
    await ws.apply({ type: 'relink', from: 'assets/b/.gdignore', to: 'assets/c/.gdignore' });
    expect(ws.state.byId.get(b)?.path).toBe('assets/c/.gdignore');
    // With the tie gone, the other is an ordinary missing asset.
    expect(ws.snapshot.divergence).toEqual([{ type: 'missing', assetId: a, path: 'assets/a/.gdignore' }]);
  });

  it('identical candidates are decided by name and folder closeness where that is unambiguous', async () => {
    const { root, ws } = await registered({ 'assets/a/.gdignore': '', 'assets/b/.gdignore': '' });
    const a = ws.state.byPath.get('assets/a/.gdignore')!.id;
    rmSync(path.join(root, 'assets/a/.gdignore'));
    rmSync(path.join(root, 'assets/b/.gdignore'));
    write(root, 'assets/a/sub/.gdignore', '');
    await ws.refresh();
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'AMBIGUOUS_MATCH')).toEqual([]);
    expect(divergence(ws)).toContainEqual({
      type: 'moved',
      assetId: a,
      from: 'assets/a/.gdignore',
      to: 'assets/a/sub/.gdignore',
    });
    expect(divergence(ws).find((entry) => entry.type === 'missing')).toMatchObject({ path: 'assets/b/.gdignore' });
  });
});
