import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { isPackerError } from '../contract/errors.js';
import { readRegistryFiles } from '../testing/project-state.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { readRegistry, serializeRegistry } from './registry-codec.js';
import { REGISTRY_FILE, REGISTRY_FOLDER, shardFileOf, type ShardCount } from './registry-shards.js';

const FOLDERS = ['assets', 'assets/ui', 'assets/levels', 'assets/sfx', 'assets/chars/hero', 'assets/chars/villain'];

function files(perFolder: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const folder of FOLDERS)
    for (let index = 0; index < perFolder; index++) out[`${folder}/f${index}.txt`] = `${folder} ${index}`;
  return out;
}

function config(shards: ShardCount): ProjectConfigInput {
  return { ...TEST_CONFIG, registry: { shards } };
}

function setShards(root: string, shards: ShardCount): void {
  writeFileSync(path.join(root, 'packer.json'), JSON.stringify(config(shards), null, 2));
}

async function registeredProject(shards: ShardCount, perFolder = 5): Promise<string> {
  const root = makeTempProject(files(perFolder), config(shards));
  const ws = await Workspace.open(root);
  await ws.apply({ type: 'register', paths: ['assets'] });
  await ws.close();
  return root;
}

/** Every registry file validated on its own; returns id → the file holding it (each id once in all files). */
function expectCanonicalLayout(root: string, shards: ShardCount): Map<string, string> {
  const where = new Map<string, string>();
  for (const [name, text] of Object.entries(readRegistryFiles(root))) {
    const read = readRegistry(text, name, root);
    expect(read.version).toBe(2);
    expect(serializeRegistry(read.entries)).toBe(text); // the writer's canonical text
    expect(read.entries.length).toBeGreaterThan(0); // an empty shard is deleted, not written
    for (const entry of read.entries) {
      expect(shardFileOf(entry.path, shards)).toBe(name);
      expect(where.has(entry.id)).toBe(false);
      where.set(entry.id, name);
    }
  }
  return where;
}

function fileStamps(root: string): Map<string, string> {
  const folder = path.join(root, REGISTRY_FOLDER);
  return new Map(
    readdirSync(folder).map((name) => {
      const stats = statSync(path.join(folder, name), { bigint: true });
      return [name, `${stats.ino}:${stats.mtimeNs}`];
    }),
  );
}

describe('a sharded registry (registry.shards > 1)', () => {
  it('writes one format 2 file per shard of parent folder, no packer.registry.json, and reads them back as one registry', async () => {
    const root = await registeredProject(256);
    expect(existsSync(path.join(root, REGISTRY_FILE))).toBe(false);
    const where = expectCanonicalLayout(root, 256);
    expect(where.size).toBe(FOLDERS.length * 5);
    // A folder's entries stay together: one file per folder here (6 folders, 256 shards).
    expect(new Set(where.values()).size).toBeLessThanOrEqual(FOLDERS.length);
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.summary).toMatchObject({ assets: where.size, missing: 0, untracked: 0 });
    expect(ws.snapshot.assets.map((asset) => asset.id).sort()).toEqual([...where.keys()].sort());
    // Path order across files, as one file would give.
    const paths = ws.snapshot.assets.map((asset) => asset.path);
    expect(paths).toEqual([...paths].sort());
    await ws.close();
  });

  it('a one-asset change rewrites exactly one shard file; the others keep their inode and mtime', async () => {
    const root = await registeredProject(256, 40);
    const before = fileStamps(root);
    const journals: string[] = [];
    const ws = await Workspace.open(root, {
      commitHook: (point) => {
        if (point === 'journal-written') journals.push(readFileSync(path.join(root, '.packer/journal.json'), 'utf8'));
      },
    });
    await ws.apply({ type: 'update', target: 'assets/levels/f7.txt', addTags: ['boss'] });
    const after = fileStamps(root);
    const changed = [...after.keys()].filter((name) => after.get(name) !== before.get(name));
    expect(changed.map((name) => `${REGISTRY_FOLDER}/${name}`)).toEqual([shardFileOf('assets/levels/f7.txt', 256)]);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    // The journal names that file alone, with one entry out and one in.
    const journal = JSON.parse(journals[0]!) as { version: number; registry: { file: string; added: unknown[] }[] };
    expect(journal.version).toBe(3);
    expect(journal.registry.map((change) => [change.file, change.added.length])).toEqual([
      [shardFileOf('assets/levels/f7.txt', 256), 1],
    ]);
    expect(ws.state.byPath.get('assets/levels/f7.txt')?.tags).toEqual(['boss']);
    await ws.close();
    expectCanonicalLayout(root, 256);
  });

  it('a move to another folder takes the entry out of one shard and into another, deleting a shard left empty', async () => {
    const root = makeTempProject({ 'assets/ui/only.txt': 'x', 'assets/levels/one.txt': 'y' }, config(256));
    let ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['assets'] });
    await ws.apply({ type: 'move', from: 'assets/ui/only.txt', to: 'assets/hud/only.txt' });
    await ws.close();
    const names = Object.keys(readRegistryFiles(root)).sort();
    expect(names).toEqual([shardFileOf('assets/hud/x', 256), shardFileOf('assets/levels/x', 256)].sort());
    expect(names).not.toContain(shardFileOf('assets/ui/x', 256));
    expectCanonicalLayout(root, 256);
    ws = await Workspace.open(root);
    expect(ws.snapshot.assets.map((asset) => asset.path)).toEqual(['assets/hud/only.txt', 'assets/levels/one.txt']);
    await ws.close();
  });

  it('changing registry.shards 1 → 256 → 1: the next preview announces the move, its apply makes it, later ones do not', async () => {
    const root = await registeredProject(1);
    const single = readFileSync(path.join(root, REGISTRY_FILE), 'utf8');
    const count = FOLDERS.length * 5;
    const mutation = { type: 'update', target: 'assets/ui/f1.txt', addTags: ['a'] } as const;

    setShards(root, 256);
    let ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok'); // the single file still reads fine under shards 256
    expect(ws.preview({ type: 'update', target: 'assets/ui/f1.txt' }).registryMigration).toBeUndefined(); // writes nothing
    expect(ws.preview(mutation).registryMigration).toEqual({ from: 2, to: 2, layout: { shards: 256, entries: count } });
    // A preview writes nothing.
    expect(readFileSync(path.join(root, REGISTRY_FILE), 'utf8')).toBe(single);
    expect(existsSync(path.join(root, REGISTRY_FOLDER))).toBe(false);
    const applied = await ws.apply(mutation);
    expect(applied.plan.registryMigration?.layout).toEqual({ shards: 256, entries: count });
    expect(existsSync(path.join(root, REGISTRY_FILE))).toBe(false);
    const ids = expectCanonicalLayout(root, 256);
    expect(ids.size).toBe(count);
    expect(ws.preview({ ...mutation, addTags: ['b'] }).registryMigration).toBeUndefined();
    await ws.close();

    setShards(root, 1);
    ws = await Workspace.open(root);
    expect(ws.preview({ ...mutation, addTags: ['b'] }).registryMigration).toEqual({
      from: 2,
      to: 2,
      layout: { shards: 1, entries: count },
    });
    await ws.apply({ ...mutation, addTags: ['b'] });
    expect(Object.keys(readRegistryFiles(root))).toEqual([REGISTRY_FILE]);
    expect(existsSync(path.join(root, REGISTRY_FOLDER))).toBe(false); // the emptied shard folder is removed
    const back = readRegistry(readFileSync(path.join(root, REGISTRY_FILE), 'utf8'), REGISTRY_FILE, root);
    expect(back.entries.map((entry) => entry.id).sort()).toEqual([...ids.keys()].sort());
    expect(back.entries.find((entry) => entry.path === 'assets/ui/f1.txt')?.tags).toEqual(['a', 'b']);
    expect(ws.preview({ ...mutation, addTags: ['c'] }).registryMigration).toBeUndefined();
    await ws.close();
  });

  it('an id in two shard files (a hand edit, a merge) is INVALID_REGISTRY naming both files and the id: read-only', async () => {
    const root = await registeredProject(16);
    const shards = readRegistryFiles(root);
    const [first, second] = Object.keys(shards).sort();
    const entry = readRegistry(shards[first!]!, first!, root).entries[0]!;
    const other = readRegistry(shards[second!]!, second!, root).entries;
    writeFileSync(path.join(root, second!), serializeRegistry([...other, { ...entry, path: 'assets/copy.txt' }]));
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('read-only');
    const problem = ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_REGISTRY');
    expect(problem?.message).toContain(entry.id);
    expect(problem?.message).toContain(first!);
    expect(problem?.message).toContain(second!);
    const refused = await ws.apply({ type: 'update', target: 'assets/ui/f1.txt', addTags: ['x'] }).catch((e) => e);
    expect(isPackerError(refused, 'REGISTRY_READ_ONLY')).toBe(true);
    expect(readRegistryFiles(root)[second!]).toContain('assets/copy.txt'); // nothing rewritten
    await ws.close();
  });

  it('with the project root as asset root, the shard files (and their temp files) are never scanned as assets', async () => {
    const root = makeTempProject(
      { 'art/a.txt': 'a', 'art/deep/b.txt': 'b' },
      { ...TEST_CONFIG, assetRoots: ['.'], registry: { shards: 16 } },
    );
    let ws = await Workspace.open(root);
    await ws.apply({ type: 'register', paths: ['art'] });
    await ws.close();
    writeFileSync(path.join(root, REGISTRY_FOLDER, '.0.json.1.2.3.tmp'), 'left by a crash');
    ws = await Workspace.open(root);
    expect(Object.keys(readRegistryFiles(root)).length).toBeGreaterThan(0);
    expect(ws.snapshot.untracked.map((file) => file.path)).toEqual([]);
    expect(ws.snapshot.assets.map((asset) => asset.path)).toEqual(['art/a.txt', 'art/deep/b.txt']);
    await ws.close();
  });

  it('a read-only (0444) shard blocks the plans that would rewrite it, and only those', async () => {
    const root = await registeredProject(256);
    const frozen = shardFileOf('assets/ui/x', 256);
    expect(shardFileOf('assets/levels/x', 256)).not.toBe(frozen);
    chmodSync(path.join(root, frozen), 0o444);
    const text = readFileSync(path.join(root, frozen), 'utf8');
    const ws = await Workspace.open(root);
    const blocked = ws.preview({ type: 'update', target: 'assets/ui/f1.txt', addTags: ['x'] });
    expect(blocked.blockers).toEqual([expect.objectContaining({ code: 'REGISTRY_READ_ONLY', path: frozen })]);
    const refused = await ws.apply({ type: 'update', target: 'assets/ui/f1.txt', addTags: ['x'] }).catch((e) => e);
    expect(isPackerError(refused, 'REGISTRY_READ_ONLY')).toBe(true);
    expect(readFileSync(path.join(root, frozen), 'utf8')).toBe(text);
    // Moving an asset out of the frozen shard would rewrite it too.
    const move = ws.preview({ type: 'move', from: 'assets/ui/f2.txt', to: 'assets/levels/f2.txt' });
    expect(move.blockers.map((item) => item.code)).toContain('REGISTRY_READ_ONLY');
    // Another folder's shard is writable.
    await ws.apply({ type: 'update', target: 'assets/levels/f1.txt', addTags: ['x'] });
    expect(ws.state.byPath.get('assets/levels/f1.txt')?.tags).toEqual(['x']);
    await ws.close();
  });

  it('a .json file in packer.registry/ that is no shard is INVALID_REGISTRY (read-only); dot-files are ignored', async () => {
    const root = await registeredProject(16);
    writeFileSync(path.join(root, REGISTRY_FOLDER, '.0.json.123.tmp'), 'half-written');
    let ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    await ws.close();
    writeFileSync(path.join(root, REGISTRY_FOLDER, 'Notes.json'), '{}');
    ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('read-only');
    expect(ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_REGISTRY')?.message).toContain('Notes.json');
    await ws.close();
  });

  it('packer.registry/ as a symlink (a hostile clone pointing writes elsewhere) is read-only; nothing is written through it', async () => {
    const root = await registeredProject(16);
    const elsewhere = makeTempDir('shards-elsewhere-');
    renameSync(path.join(root, REGISTRY_FOLDER), path.join(elsewhere, 'shards'));
    symlinkSync(path.join(elsewhere, 'shards'), path.join(root, REGISTRY_FOLDER));
    const before = readdirSync(path.join(elsewhere, 'shards')).sort();
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('read-only');
    expect(ws.snapshot.diagnostics.find((item) => item.code === 'INVALID_REGISTRY')?.message).toContain('symlink');
    const refused = await ws.apply({ type: 'update', target: 'assets/ui/f1.txt', addTags: ['x'] }).catch((e) => e);
    expect(isPackerError(refused, 'REGISTRY_READ_ONLY')).toBe(true);
    expect(readdirSync(path.join(elsewhere, 'shards')).sort()).toEqual(before);
    await ws.close();
  });

  it('an entry outside its canonical file reads fine, and the next write moves it (announced)', async () => {
    const root = await registeredProject(16);
    const shards = readRegistryFiles(root);
    const [from, to] = Object.keys(shards).sort();
    const moved = readRegistry(shards[from!]!, from!, root).entries;
    const kept = readRegistry(shards[to!]!, to!, root).entries;
    writeFileSync(path.join(root, to!), serializeRegistry([...kept, moved[0]!]));
    writeFileSync(path.join(root, from!), serializeRegistry(moved.slice(1)));
    const ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.summary.assets).toBe(FOLDERS.length * 5);
    const plan = ws.preview({ type: 'update', target: 'assets/ui/f1.txt', addTags: ['x'] });
    expect(plan.registryMigration).toEqual({ from: 2, to: 2, layout: { shards: 16, entries: 1 } });
    await ws.apply({ type: 'update', target: 'assets/ui/f1.txt', addTags: ['x'] });
    expectCanonicalLayout(root, 16);
    await ws.close();
  });
});

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: '/nonexistent',
};

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'core.autocrlf=false', '-c', 'commit.gpgsign=false', ...args], {
    cwd: root,
    env: GIT_ENV,
    encoding: 'utf8',
  });
}

async function addFiles(ws: Workspace, folder: string, count: number): Promise<void> {
  mkdirSync(path.join(ws.root, folder), { recursive: true });
  for (let index = 0; index < count; index++)
    writeFileSync(path.join(ws.root, folder, `f${String(index).padStart(4, '0')}.txt`), `${folder} ${index}`);
  await ws.refresh();
  await ws.apply({ type: 'register', paths: [folder] });
}

describe('a sharded registry merges with git', () => {
  it('two branches each register 1,000 assets in different folders, one also moves a folder: git merges cleanly', async () => {
    const voice = 'assets/audio/voice';
    const effects = 'assets/audio/effects';
    // Different folders land in different shards (fixed by sha256; checked so the test says what it tests).
    expect(new Set([voice, effects, 'assets/ui', 'assets/interface'].map((f) => shardFileOf(`${f}/x`, 256))).size).toBe(
      4,
    );
    const root = await registeredProject(256, 5);
    writeFileSync(path.join(root, '.gitignore'), '.packer/\nbuild/\n');
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');

    git(root, 'checkout', '-q', '-b', 'voice');
    let ws = await Workspace.open(root);
    await addFiles(ws, voice, 1000);
    await ws.apply({ type: 'move', from: 'assets/ui', to: 'assets/interface' });
    await ws.close();
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'voice lines, ui renamed');

    git(root, 'checkout', '-q', 'main');
    git(root, 'checkout', '-q', '-b', 'effects');
    ws = await Workspace.open(root);
    await addFiles(ws, effects, 1000);
    await ws.close();
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'effects');

    const merge = spawnSync('git', ['-c', 'commit.gpgsign=false', 'merge', '--no-edit', '-q', 'voice'], {
      cwd: root,
      env: GIT_ENV,
      encoding: 'utf8',
    });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    const ids = expectCanonicalLayout(root, 256);
    expect(ids.size).toBe(FOLDERS.length * 5 + 2000);
    ws = await Workspace.open(root);
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.summary).toMatchObject({ assets: ids.size, missing: 0, untracked: 0 });
    expect(ws.state.byPath.has('assets/interface/f1.txt')).toBe(true);
    await ws.close();
  }, 120_000);
});
