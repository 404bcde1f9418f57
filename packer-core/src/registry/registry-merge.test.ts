import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { describe, expect, it } from 'vitest';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { newAssetId } from '../ids/asset-id.js';
import { makeTempDir } from '../testing/temp-dirs.js';
import { Workspace } from '../workspace/workspace.js';
import { parseRegistry, serializeRegistry } from './registry-codec.js';
import { REGISTRY_HEADER } from './registry-layout.js';
import { REGISTRY_FILE } from './registry-store.js';

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

function gitInit(root: string): void {
  writeFileSync(path.join(root, '.gitignore'), '.packer/\nbuild/\n');
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'base');
}

function commitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
}

/** `git merge` of `branch` into the current branch: true when it merged without a conflict. */
function mergeClean(root: string, branch: string): boolean {
  const result = spawnSync('git', ['-c', 'commit.gpgsign=false', 'merge', '--no-edit', '-q', branch], {
    cwd: root,
    env: GIT_ENV,
    encoding: 'utf8',
  });
  return result.status === 0;
}

async function addFiles(ws: Workspace, folder: string, count: number): Promise<void> {
  mkdirSync(path.join(ws.root, folder), { recursive: true });
  for (let index = 0; index < count; index++)
    writeFileSync(path.join(ws.root, folder, `f${String(index).padStart(4, '0')}.txt`), `${folder} ${index}`);
  await ws.refresh();
  await ws.apply({ type: 'register', paths: [folder] });
}

describe('format 2 merges with git', () => {
  it('two branches each register 1,000 assets in different folders, one also moves a folder: git merges them cleanly', async () => {
    const root = await copyFixture('sample-game', makeTempDir('registry-merge-'));
    // The first write migrates format 1; do it once on main, before branching (see the report on migration).
    let ws = await Workspace.open(root);
    await ws.apply({ type: 'update', target: 'assets/backgrounds/sky.png', addTags: ['sky'] });
    await ws.close();
    expect(readFileSync(path.join(root, REGISTRY_FILE), 'utf8').startsWith(REGISTRY_HEADER + '\n')).toBe(true);
    gitInit(root);

    git(root, 'checkout', '-q', '-b', 'voice');
    ws = await Workspace.open(root);
    await addFiles(ws, 'assets/audio/voice', 1000);
    await ws.close();
    commitAll(root, 'voice lines');

    git(root, 'checkout', '-q', 'main');
    git(root, 'checkout', '-q', '-b', 'effects');
    ws = await Workspace.open(root);
    await addFiles(ws, 'assets/sprites/fx', 1000);
    const french = ws.state.byPath.get('assets/text/locale/fr.txt')!.id;
    await ws.apply({ type: 'move', from: 'assets/text/locale', to: 'assets/text/lang' });
    await ws.close();
    commitAll(root, 'effects, and locale renamed to lang');

    expect(mergeClean(root, 'voice')).toBe(true);
    const text = readFileSync(path.join(root, REGISTRY_FILE), 'utf8');
    expect(text).not.toMatch(/^(<<<<<<<|>>>>>>>|=======)/m);
    const entries = parseRegistry(text, REGISTRY_FILE, root);
    expect(entries).toHaveLength(45 + 2000);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    expect(entries.filter((entry) => entry.path.startsWith('assets/audio/voice/'))).toHaveLength(1000);
    expect(entries.filter((entry) => entry.path.startsWith('assets/sprites/fx/'))).toHaveLength(1000);
    expect(entries.find((entry) => entry.id === french)?.path).toBe('assets/text/lang/fr.txt');
    // The merged text is exactly what the packer writes for these entries: still sorted, one per line.
    expect(serializeRegistry(entries)).toBe(text);
    const merged = await Workspace.open(root);
    expect(merged.snapshot.registryState).toBe('ok');
    expect(merged.snapshot.summary).toMatchObject({ assets: 2045, missing: 0, untracked: 0 });
    await merged.close();
  }, 60_000);

  const entry = (entryPath: string): RegistryEntry => ({
    id: newAssetId(),
    path: entryPath,
    kind: 'text',
    settings: {},
    tags: [],
  });
  const base = ['assets/a/1.txt', 'assets/b/1.txt', 'assets/c/1.txt', 'assets/m/1.txt'].map(entry);
  /** Commits `base` on main, `ours` on a branch and `theirs` on another, then merges them: true when clean. */
  function mergeOf(
    serialize: (entries: RegistryEntry[]) => string,
    ours: RegistryEntry[],
    theirs: RegistryEntry[],
  ): boolean {
    const root = makeTempDir('registry-merge-');
    const write = (entries: RegistryEntry[]): void => writeFileSync(path.join(root, REGISTRY_FILE), serialize(entries));
    write(base);
    gitInit(root);
    git(root, 'checkout', '-q', '-b', 'theirs');
    write(theirs);
    commitAll(root, 'theirs');
    git(root, 'checkout', '-q', 'main');
    write(ours);
    commitAll(root, 'ours');
    const clean = mergeClean(root, 'theirs');
    if (clean)
      expect(parseRegistry(readFileSync(path.join(root, REGISTRY_FILE), 'utf8'), REGISTRY_FILE, root)).toHaveLength(
        ours.length + theirs.length - base.length,
      );
    return clean;
  }
  // Format 1 as the packer wrote it before: pretty-printed, sorted by (time-ordered) id.
  const formatOne = (entries: RegistryEntry[]): string =>
    JSON.stringify({ version: 1, assets: [...entries].sort((a, b) => (a.id < b.id ? -1 : 1)) }, null, 2) + '\n';

  it('additions in different folders: format 2 merges, format 1 (sorted by id) conflicts', () => {
    const inB = Array.from({ length: 50 }, (_, index) => entry(`assets/b/new-${index}.txt`));
    const inM = Array.from({ length: 50 }, (_, index) => entry(`assets/m/new-${index}.txt`));
    expect(mergeOf(serializeRegistry, [...base, ...inB], [...base, ...inM])).toBe(true);
    expect(mergeOf(formatOne, [...base, ...inB], [...base, ...inM])).toBe(false);
  });

  it('an addition after the last entry and one just before it merge: the separator leads the line, so no neighbour changes', () => {
    // `assets/z/…` sorts after every entry; `assets/c/2.txt` lands between `c/1` and `m/1`. With a trailing comma the
    // first would rewrite the last entry's line and touch the second's hunk.
    expect(mergeOf(serializeRegistry, [...base, entry('assets/z/1.txt')], [...base, entry('assets/c/2.txt')])).toBe(
      true,
    );
  });

  it('what line-based merge cannot separate still conflicts, so git never guesses: two additions at one spot', () => {
    // Both land between `m/1` and the footer (or between the same two entries). A merge driver resolves these by id.
    expect(mergeOf(serializeRegistry, [...base, entry('assets/x/1.txt')], [...base, entry('assets/y/1.txt')])).toBe(
      false,
    );
  });
});
