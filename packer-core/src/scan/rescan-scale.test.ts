import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { PersistentMap } from '../snapshot/persistent-map.js';
import { makeTempProject } from '../testing/temp-project.js';
import { rescanChanges, scanWorkspace, type FileStat } from './scanner.js';

/** Applies a rescan's changes to the previous map, as the observer does. */
function applied(previous: PersistentMap<FileStat>, changes: Map<string, FileStat | undefined>): string[] {
  return [...previous.with(changes).keys()];
}

describe('rescan of many named paths', () => {
  // How fast this is lives in the bench (no timed assertions in tests); here: many named paths give the full scan.
  it('many files named one by one, then their folder, give exactly what a full scan sees', () => {
    const count = 2_000;
    const root = makeTempProject({});
    const config = loadConfig(root);
    mkdirSync(path.join(root, 'assets', 'many'), { recursive: true });
    const paths: string[] = [];
    for (let index = 0; index < count; index++) {
      const relative = `assets/many/f${index}.txt`;
      writeFileSync(path.join(root, relative), 'x');
      paths.push(relative);
    }
    const { changes } = rescanChanges(root, config, PersistentMap.empty(), [...paths, 'assets/many']);
    expect(applied(PersistentMap.empty(), changes)).toEqual([...scanWorkspace(root, config).files.keys()].sort());
  });

  it('a folder named after its files were seen in the same rescan still drops what is gone', () => {
    const root = makeTempProject({ 'assets/a/x.txt': 'x', 'assets/a/b/y.txt': 'y', 'assets/ab.txt': 'z' });
    const config = loadConfig(root);
    const previous = PersistentMap.fromMap(scanWorkspace(root, config).files);
    rmSync(path.join(root, 'assets/a/b'), { recursive: true });
    writeFileSync(path.join(root, 'assets/a/w.txt'), 'w');
    const { changes } = rescanChanges(root, config, previous, ['assets/a/w.txt', 'assets/a/b/y.txt', 'assets/a', '.']);
    expect(applied(previous, changes)).toEqual(['assets/a/w.txt', 'assets/a/x.txt', 'assets/ab.txt']);
  });
});
