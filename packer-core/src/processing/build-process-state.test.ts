import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

// The compiled core, as a CI job or the remote bench runs it: one short process per build (run `npx tsc -b` first).
const CORE = import.meta.resolve('@packer/core');

/** One build in its own process (open, build, close, exit), as the remote bench's build child does; its stderr. */
function buildInAnotherProcess(root: string): string {
  const script = `(async () => {
  const { Workspace, runBuild } = await import(${JSON.stringify(CORE)});
  const workspace = await Workspace.open(${JSON.stringify(root)});
  await runBuild(workspace);
  await workspace.close();
})().catch((error) => { console.error(error); process.exit(1); });`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the build process failed (${child.status}): ${child.stderr}`);
  return child.stderr;
}

describe('state stores across short build processes', () => {
  it('a process that exits right after its build leaves every store trusted: the next one discards nothing', async () => {
    // More registered files than an open fingerprints inline: the open's check runs in the background, and a short
    // process closes before it ends (which left fingerprints.lmdb's read guard behind before 4d29a3f, so the next
    // process discarded the store and fingerprinted every file again).
    const files: Record<string, string> = {};
    for (let index = 0; index < 400; index++)
      files[`assets/t${String(index).padStart(3, '0')}.txt`] = `text ${index}\n`;
    const root = makeTempProject(files);
    const first = await Workspace.open(root);
    await first.apply({ type: 'register', paths: ['assets'] });
    await first.close();
    for (let round = 0; round < 3; round++) {
      expect(buildInAnotherProcess(root)).not.toMatch(/PackerStateWarning|Discarded/);
      expect(readdirSync(path.join(root, '.packer')).filter((name) => name.endsWith('.reading'))).toEqual([]);
    }
  });
});
