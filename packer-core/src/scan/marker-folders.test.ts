import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectConfig } from '../contract/config-schema.js';
import { makeTempProject } from '../testing/temp-project.js';
import { rescanPaths, scanWorkspace } from './scanner.js';

// packer.json `ignoreFoldersWith` (QA finding 8): Godot leaves a folder holding `.gdignore` out of the project, and so
// must the scan, in a full walk and in a rescan of any path, marker or file, deep inside.

const config = ProjectConfig.parse({
  name: 'g',
  assetRoots: ['.'],
  ignore: ['**/.gdignore'],
  ignoreFoldersWith: ['.gdignore'],
});

const FILES = {
  'sprites/hero.png': 'png',
  'raw/.gdignore': '',
  'raw/hero.psd': 'psd',
  'raw/sketches/bat.psd': 'psd',
  'docs/deep/er/.gdignore': '',
  'docs/deep/er/notes.md': 'md',
  'docs/deep/readme.md': 'md',
};

function write(root: string, relative: string, content = 'x'): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), content);
}

const keys = (files: ReadonlyMap<string, unknown>): string[] => [...files.keys()].sort();

describe('folders holding a marker file (ignoreFoldersWith)', () => {
  it('are left out of a full scan, with everything under them; other folders are scanned', () => {
    const root = makeTempProject(FILES, { name: 'g' });
    expect(keys(scanWorkspace(root, config).files)).toEqual(['docs/deep/readme.md', 'sprites/hero.png']);
    // Without the setting, the same tree is scanned whole (the default changes nothing).
    const plain = ProjectConfig.parse({ name: 'g', assetRoots: ['.'], ignore: ['**/.gdignore'] });
    expect(keys(scanWorkspace(root, plain).files)).toContain('raw/hero.psd');
  });

  it('a rescan agrees with a full scan: a path named deep inside is not observed, a marker that goes or comes re-walks its folder', () => {
    const root = makeTempProject(FILES, { name: 'g' });
    const first = scanWorkspace(root, config);
    write(root, 'raw/sketches/new.psd');
    const named = rescanPaths(root, config, first.files, ['raw/sketches/new.psd', 'docs/deep/er/notes.md']);
    expect(keys(named.files)).toEqual(keys(first.files));

    rmSync(path.join(root, 'raw/.gdignore'));
    const unmarked = rescanPaths(root, config, named.files, ['raw/.gdignore']);
    expect(keys(unmarked.files)).toEqual(keys(scanWorkspace(root, config).files));
    expect(keys(unmarked.files)).toEqual(
      expect.arrayContaining(['raw/hero.psd', 'raw/sketches/bat.psd', 'raw/sketches/new.psd']),
    );

    write(root, 'raw/sketches/.gdignore', '');
    const marked = rescanPaths(root, config, unmarked.files, ['raw/sketches/.gdignore']);
    expect(keys(marked.files)).toEqual(keys(scanWorkspace(root, config).files));
    expect(keys(marked.files).filter((file) => file.startsWith('raw/'))).toEqual(['raw/hero.psd']);
  });
});
