import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfig, type ProjectConfigInput } from '../contract/config-schema.js';
import { makeTempProject } from '../testing/temp-project.js';
import { rescanPaths, scanWorkspace } from './scanner.js';

const config = (overrides: Partial<ProjectConfigInput> = {}): ProjectConfig =>
  ProjectConfig.parse({ name: 'g', assetRoots: ['.'], gitignore: true, ...overrides });

const scanned = (root: string, settings = config()): string[] => [...scanWorkspace(root, settings).files.keys()].sort();

function write(root: string, relative: string, content = 'x'): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

describe('scanner with gitignore on', () => {
  it('never sees git-ignored engine output, nor the packer\'s own files, under a root of "."', () => {
    const root = makeTempProject({
      'project.godot': '[application]\n',
      '.gitignore': '.godot/\n*.tmp\n',
      '.godot/imported/icon.png-1234.ctex': 'ctex',
      '.godot/uid_cache.bin': 'bin',
      'icon.png': 'png',
      'icon.png.import': 'import',
      'packer.registry.json': '{}',
      '.packer/runtime.json': '{}',
      '.git/HEAD': 'ref',
      'build/main.pack': 'pack',
      '.packer.registry.json.1.2.3.tmp': 'temp',
      'scratch.tmp': 'tmp',
    });
    expect(scanned(root)).toEqual(['icon.png', 'icon.png.import', 'project.godot']);
  });

  it('honours nested .gitignore files, deeper ones overriding shallower ones, and negation', () => {
    const root = makeTempProject({
      '.gitignore': '*.log\n!keep.log\ncache/\n',
      'a/.gitignore': '!debug.log\nlocal/*\n!local/shared.txt\n',
      'a/debug.log': '',
      'a/other.log': '',
      'a/local/mine.txt': '',
      'a/local/shared.txt': '',
      'keep.log': '',
      'drop.log': '',
      'b/cache/x.bin': '',
      'b/c.txt': '',
    });
    expect(scanned(root)).toEqual(['a/debug.log', 'a/local/shared.txt', 'b/c.txt', 'keep.log']);
  });

  it('honours .git/info/exclude and the .gitignore files above the project inside its repository', () => {
    const repo = makeTempProject({});
    execFileSync('git', ['init', '-q', repo]);
    write(repo, '.git/info/exclude', 'secret.txt\n');
    write(repo, '.gitignore', 'game/generated/\n');
    const root = path.join(repo, 'game');
    write(root, 'generated/a.png');
    write(root, 'secret.txt');
    write(root, 'hero.png');
    expect(scanned(root)).toEqual(['hero.png']);
  });

  it('is off unless asked: gitignore false scans what git ignores', () => {
    const root = makeTempProject({ '.gitignore': 'out/\n', 'out/a.png': '', 'b.png': '' });
    expect(scanned(root, config({ gitignore: false }))).toEqual(['.gitignore', 'b.png', 'out/a.png']);
  });

  it('a path rescanned below an ignored folder stays ignored (what the watcher reports for .godot/imported)', () => {
    const root = makeTempProject({ '.gitignore': '.godot/\n', 'icon.png': '' });
    const settings = config();
    const before = scanWorkspace(root, settings).files;
    write(root, '.godot/imported/icon.png-abc.ctex');
    const after = rescanPaths(root, settings, before, [
      '.godot/imported/icon.png-abc.ctex',
      '.godot/imported',
      '.godot',
    ]);
    expect([...after.files.keys()]).toEqual(['icon.png']);
  });

  it('a changed .gitignore re-applies to its whole folder on a rescan of that one path', () => {
    const root = makeTempProject({ 'art/.gitignore': '', 'art/a.psd': '', 'art/b.png': '' });
    const settings = config({ assetRoots: ['art'] });
    const before = scanWorkspace(root, settings).files;
    expect([...before.keys()].sort()).toEqual(['art/a.psd', 'art/b.png']);
    writeFileSync(path.join(root, 'art/.gitignore'), '*.psd\n');
    const ignoring = rescanPaths(root, settings, before, ['art/.gitignore']).files;
    expect([...ignoring.keys()].sort()).toEqual(['art/b.png']);
    rmSync(path.join(root, 'art/.gitignore'));
    expect([...rescanPaths(root, settings, ignoring, ['art/.gitignore']).files.keys()].sort()).toEqual([
      'art/a.psd',
      'art/b.png',
    ]);
  });

  it("a change to the project's root .gitignore re-applies to asset roots below it", () => {
    const root = makeTempProject({ 'assets/a.psd': '', 'assets/b.png': '' });
    const settings = config({ assetRoots: ['assets'] });
    const before = scanWorkspace(root, settings).files;
    write(root, '.gitignore', 'assets/*.psd\n');
    expect([...rescanPaths(root, settings, before, ['.gitignore']).files.keys()]).toEqual(['assets/b.png']);
  });
});
