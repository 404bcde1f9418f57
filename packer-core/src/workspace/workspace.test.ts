import { existsSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackerError } from '../contract/errors.js';
import { RegistryFile } from '../contract/registry-schema.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

const files = {
  'assets/hero.png': 'png-bytes-hero',
  'assets/ui/button.png': 'png-bytes-button',
  'assets/levels/one.json': '{"a":1}',
  'assets/readme.txt': 'hello',
};

async function registeredWorkspace(): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(files);
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  return { root, ws };
}

function registryOnDisk(root: string): RegistryFile {
  return RegistryFile.parse(JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')));
}

describe('Workspace', () => {
  it('registers a folder: new ids, kinds by extension, deterministic registry on disk', async () => {
    const { root, ws } = await registeredWorkspace();
    const registry = registryOnDisk(root);
    expect(registry.assets.map((a) => a.path).sort()).toEqual(Object.keys(files).sort());
    expect(registry.assets.map((a) => a.path)).toEqual([...registry.assets.map((a) => a.path)].sort());
    expect(registry.assets.find((a) => a.path === 'assets/hero.png')?.kind).toBe('image');
    expect(ws.snapshot.summary).toMatchObject({ assets: 4, untracked: 0, missing: 0, blockers: 0 });
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8').endsWith('}\n')).toBe(true);
  });

  it('moves a file: the id survives, disk and registry change together, revision increases', async () => {
    const { root, ws } = await registeredWorkspace();
    const hero = ws.state.byPath.get('assets/hero.png')!;
    const before = ws.snapshot.revision;
    const result = await ws.apply(
      { type: 'move', from: 'assets/hero.png', to: 'assets/characters/hero.png' },
      { expectedRevision: before },
    );
    expect(result.revisionAfter).toBe(before + 1);
    expect(ws.snapshot.revision).toBe(before + 1);
    expect(existsSync(path.join(root, 'assets/characters/hero.png'))).toBe(true);
    expect(existsSync(path.join(root, 'assets/hero.png'))).toBe(false);
    expect(ws.state.byId.get(hero.id)?.path).toBe('assets/characters/hero.png');
    expect(registryOnDisk(root).assets.find((a) => a.id === hero.id)?.path).toBe('assets/characters/hero.png');
  });

  it('moves a folder with all its assets', async () => {
    const { root, ws } = await registeredWorkspace();
    await ws.apply({ type: 'move', from: 'assets/ui', to: 'assets/interface' });
    expect(ws.state.byPath.has('assets/interface/button.png')).toBe(true);
    expect(existsSync(path.join(root, 'assets/interface/button.png'))).toBe(true);
    expect(ws.snapshot.summary.missing).toBe(0);
  });

  it('refuses a stale expectedRevision with a typed conflict and changes nothing', async () => {
    const { root, ws } = await registeredWorkspace();
    const registryBefore = readFileSync(path.join(root, 'packer.registry.json'), 'utf8');
    const error = await ws
      .apply({ type: 'remove', targets: ['assets/hero.png'] }, { expectedRevision: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackerError);
    expect((error as PackerError).code).toBe('CONFLICT');
    expect((error as PackerError).data).toMatchObject({ expectedRevision: 1, currentRevision: ws.snapshot.revision });
    expect(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')).toBe(registryBefore);
  });

  it('refuses a move onto an existing file with a blocker', async () => {
    const { ws } = await registeredWorkspace();
    const plan = ws.preview({ type: 'move', from: 'assets/hero.png', to: 'assets/readme.txt' });
    expect(plan.blockers.map((b) => b.code)).toContain('TARGET_EXISTS');
    await expect(ws.apply({ type: 'move', from: 'assets/hero.png', to: 'assets/readme.txt' })).rejects.toMatchObject({
      code: 'BLOCKED',
    });
  });

  it('replays an idempotent apply and refuses a reused key for another mutation', async () => {
    const { root, ws } = await registeredWorkspace();
    const first = await ws.apply(
      { type: 'update', target: 'assets/hero.png', addTags: ['ui'] },
      { idempotencyKey: 'k1' },
    );
    const again = await ws.apply(
      { type: 'update', target: 'assets/hero.png', addTags: ['ui'] },
      { idempotencyKey: 'k1' },
    );
    expect(again.replayed).toBe(true);
    expect(again.revisionAfter).toBe(first.revisionAfter);
    expect(ws.snapshot.revision).toBe(first.revisionAfter);
    await expect(
      ws.apply({ type: 'update', target: 'assets/hero.png', addTags: ['x'] }, { idempotencyKey: 'k1' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
    // Survives a restart.
    await ws.close();
    const reopened = await Workspace.open(root);
    const third = await reopened.apply(
      { type: 'update', target: 'assets/hero.png', addTags: ['ui'] },
      { idempotencyKey: 'k1' },
    );
    expect(third.replayed).toBe(true);
  });

  it('validates settings against the kind', async () => {
    const { ws } = await registeredWorkspace();
    const bad = ws.preview({ type: 'update', target: 'assets/hero.png', settings: { premultiply: 'yes' } });
    expect(bad.blockers[0]?.code).toBe('INVALID_SETTINGS');
    const good = await ws.apply({ type: 'update', target: 'assets/hero.png', settings: { premultiply: true } });
    expect(good.plan.registryMutations[0]).toMatchObject({ op: 'update', after: { settings: { premultiply: true } } });
  });

  it('removes with deleteFiles: file gone, entry gone', async () => {
    const { root, ws } = await registeredWorkspace();
    await ws.apply({ type: 'remove', targets: ['assets/readme.txt'], deleteFiles: true });
    expect(existsSync(path.join(root, 'assets/readme.txt'))).toBe(false);
    expect(ws.state.byPath.has('assets/readme.txt')).toBe(false);
    expect(existsSync(path.join(root, '.packer/trash'))).toBe(false);
  });

  it('derives divergence from disk and reconciles an outside move keeping the id', async () => {
    const { root, ws } = await registeredWorkspace();
    const hero = ws.state.byPath.get('assets/hero.png')!;
    mkdirSync(path.join(root, 'assets/chars'));
    renameSync(path.join(root, 'assets/hero.png'), path.join(root, 'assets/chars/hero.png'));
    rmSync(path.join(root, 'assets/readme.txt'));
    writeFileSync(path.join(root, 'assets/new.txt'), 'new file');
    await ws.refresh();
    const types = ws.snapshot.divergence.map((d) => d.type).sort();
    expect(types).toEqual(['missing', 'moved', 'untracked']);
    // Nothing is reconciled without being asked.
    expect(registryOnDisk(root).assets.find((a) => a.id === hero.id)?.path).toBe('assets/hero.png');
    const plan = ws.preview({ type: 'reconcile' });
    expect(plan.blockers).toEqual([]);
    await ws.apply({ type: 'reconcile' }, { expectedRevision: plan.baseRevision });
    expect(ws.state.byId.get(hero.id)?.path).toBe('assets/chars/hero.png');
    expect(ws.snapshot.divergence).toEqual([]);
    expect(ws.state.byPath.has('assets/new.txt')).toBe(true);
    expect(ws.state.byPath.has('assets/readme.txt')).toBe(false);
  });

  it('writes an audit record for every apply, refused ones included', async () => {
    const { ws } = await registeredWorkspace();
    await ws.apply({ type: 'remove', targets: ['a_00000000000000000000000000'] }).catch(() => undefined);
    const records = ws.audit.list();
    expect(records.map((r) => r.result)).toEqual(['applied', 'blocked']);
    expect(records[0]).toMatchObject({ scope: { type: 'register' }, revisionAfter: records[0]!.revisionBefore + 1 });
    expect(records[0]!.actor.pid).toBe(process.pid);
  });

  describe('refreshes scoped to the paths a watcher batch named', () => {
    it('recognises a folder renamed outside the packer as moves, not missing plus untracked', async () => {
      const { root, ws } = await registeredWorkspace();
      const button = ws.state.byPath.get('assets/ui/button.png')!;
      renameSync(path.join(root, 'assets/ui'), path.join(root, 'assets/interface'));
      await ws.refresh(['assets/ui', 'assets/interface']);
      expect(ws.snapshot.divergence).toEqual([
        { type: 'moved', assetId: button.id, from: 'assets/ui/button.png', to: 'assets/interface/button.png' },
      ]);
    });

    it('recognises a copy reported in one batch and the delete in a later one as a move', async () => {
      const { root, ws } = await registeredWorkspace();
      const hero = ws.state.byPath.get('assets/hero.png')!;
      writeFileSync(path.join(root, 'assets/hero-copy.png'), readFileSync(path.join(root, 'assets/hero.png')));
      await ws.refresh(['assets/hero-copy.png']);
      expect(ws.snapshot.divergence).toEqual([{ type: 'untracked', path: 'assets/hero-copy.png' }]);
      rmSync(path.join(root, 'assets/hero.png'));
      await ws.refresh(['assets/hero.png']);
      expect(ws.snapshot.divergence).toEqual([
        { type: 'moved', assetId: hero.id, from: 'assets/hero.png', to: 'assets/hero-copy.png' },
      ]);
    });

    it('reports a symlink escaping the project that appears in a batch', async () => {
      const { root, ws } = await registeredWorkspace();
      const { symlinkSync } = await import('node:fs');
      symlinkSync('/etc/hostname', path.join(root, 'assets/escape.txt'));
      const { changed } = await ws.refresh(['assets/escape.txt']);
      expect(changed).toBe(true);
      expect(ws.snapshot.diagnostics.map((d) => d.code)).toContain('PATH_OUTSIDE_PROJECT');
    });

    it('re-classifies untracked files when packer.json changes their kind', async () => {
      const { root, ws } = await registeredWorkspace();
      writeFileSync(path.join(root, 'assets/notes.xyz'), 'notes');
      await ws.refresh(['assets/notes.xyz']);
      expect(ws.state.untrackedByPath.get('assets/notes.xyz')?.kind).toBe('other');
      const config = JSON.parse(readFileSync(path.join(root, 'packer.json'), 'utf8')) as {
        kinds: { text: { extensions: string[] } };
      };
      config.kinds.text.extensions.push('.xyz');
      writeFileSync(path.join(root, 'packer.json'), JSON.stringify(config));
      await ws.reloadConfig();
      expect(ws.state.untrackedByPath.get('assets/notes.xyz')?.kind).toBe('text');
    });
  });
});
