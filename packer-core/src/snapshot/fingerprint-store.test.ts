import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptText } from '@packer/fixtures';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

const open: Workspace[] = [];
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === 'PackerStateWarning') warnings.push(warning.message);
};

afterEach(async () => {
  process.off('warning', onWarning);
  warnings.length = 0;
  for (const ws of open.splice(0)) await ws.close();
});

async function openWorkspace(root: string): Promise<Workspace> {
  const ws = await Workspace.open(root);
  open.push(ws);
  return ws;
}

async function closeWorkspace(ws: Workspace): Promise<void> {
  open.splice(open.indexOf(ws), 1);
  await ws.close();
}

describe('fingerprint store across restarts', () => {
  it('an open that finds every fingerprint current leaves the store trusted: the next open keeps it', async () => {
    const root = makeTempProject({
      'assets/a.txt': scriptText('a', 40),
      'assets/b.txt': scriptText('b', 40),
    });
    const first = await openWorkspace(root);
    await first.apply({ type: 'register', paths: ['assets'] });
    await closeWorkspace(first);
    process.on('warning', onWarning);
    // Nothing to fingerprint on these opens: every recorded fingerprint is of the current content.
    for (let restart = 0; restart < 3; restart++) {
      const ws = await openWorkspace(root);
      await new Promise((resolve) => setImmediate(resolve));
      await closeWorkspace(ws);
      expect(existsSync(path.join(root, '.packer', 'fingerprints.lmdb.reading'))).toBe(false);
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Before: the second restart found the first one's read guard and threw the whole store away.
    expect(warnings).toEqual([]);
  });
});
