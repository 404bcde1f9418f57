import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { makeTempProject } from '../testing/temp-project.js';
import { scanWorkspace, scanWorkspaceInSlices } from './scanner.js';

// A daemon opening a 1M-file project walks it for 13 s or more: the walk in slices is what lets it answer hello
// meanwhile (a `packer status` sent then gave up with NOT_READY). Slices of 0 ms turn at every step.
describe('a full scan in slices', () => {
  it('lets the event loop turn while it walks, and sees exactly what the walk at once sees', async () => {
    const root = makeTempProject({ 'assets/top.txt': 'top' });
    for (let folder = 0; folder < 4; folder++) {
      mkdirSync(path.join(root, 'assets', `f${folder}`), { recursive: true });
      for (let index = 0; index < 300; index++)
        writeFileSync(path.join(root, 'assets', `f${folder}`, `${index}.txt`), `${folder}/${index}`);
    }
    const config = loadConfig(root);
    // Counts the event loop's turns (its check phase) until the scan ends.
    let turns = 0;
    let scanning = true;
    const tick = (): void => {
      if (!scanning) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const sliced = await scanWorkspaceInSlices(root, config, 0);
    scanning = false;
    expect(turns).toBeGreaterThan(1);
    const atOnce = scanWorkspace(root, config);
    expect(sliced.files.size).toBe(1201);
    expect([...sliced.files.entries()].sort()).toEqual([...atOnce.files.entries()].sort());
    expect(sliced.escapes).toEqual(atOnce.escapes);
  });
});
