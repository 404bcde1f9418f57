import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectConfigInput } from '../contract/config-schema.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';
import { PATH_MAX } from './name-length.js';

// QA finding 10: names the disk cannot hold are said in the preview, never met at the apply as ENAMETOOLONG.

const GODOT: ProjectConfigInput = { ...TEST_CONFIG, sidecars: ['{path}.import'] };

const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

async function openProject(files: Record<string, string>): Promise<{ root: string; ws: Workspace }> {
  const root = makeTempProject(files, GODOT);
  const ws = await Workspace.open(root);
  open.push(ws);
  await ws.apply({ type: 'register', paths: ['assets'] });
  return { root, ws };
}

describe('names too long for the disk', () => {
  it('a folder move whose deepest path would pass PATH_MAX is an INVALID_PATH blocker naming that path', async () => {
    const { root, ws } = await openProject({ 'assets/a.png': 'a' });
    // Nest 200-byte folders until the folder path is 250 bytes or less short of PATH_MAX: the file fits (by at least
    // 40 bytes), and 247 bytes more (the new top name) do not.
    let deep = 'assets/top';
    while (Buffer.byteLength(path.join(root, deep)) < PATH_MAX - 250) deep += `/${'d'.repeat(200)}`;
    mkdirSync(path.join(root, deep), { recursive: true });
    writeFileSync(path.join(root, deep, 'deep.png'), 'deep');
    await ws.refresh();
    await ws.apply({ type: 'register', paths: ['assets/top'] });
    const plan = ws.preview({ type: 'move', from: 'assets/top', to: `assets/${'t'.repeat(250)}` });
    expect(plan.blockers).toHaveLength(1);
    expect(plan.blockers[0]).toMatchObject({ code: 'INVALID_PATH', path: expect.stringMatching(/deep\.png$/) });
    expect(plan.blockers[0]!.message).toMatch(/the full path is \d+ bytes long/);
    expect(plan.blockers[0]!.hint).toMatch(/shorter name/);
  });

  it('a relink whose sidecar could not follow (name over 255 bytes) warns that it stays, and relinks the asset', async () => {
    const { root, ws } = await openProject({ 'assets/x.png': 'png-x', 'assets/x.png.import': 'import' });
    const id = ws.state.byPath.get('assets/x.png')!.id;
    const long = `assets/${'L'.repeat(246)}.png`; // 250 bytes as a name: its .import would be 257
    renameSync(path.join(root, 'assets/x.png'), path.join(root, long));
    await ws.refresh();
    const plan = ws.preview({ type: 'relink', from: id, to: long });
    expect(plan.blockers).toEqual([]);
    expect(plan.filesystemMutations).toEqual([]);
    expect(plan.warnings.find((item) => item.code === 'SIDECAR_LEFT_BEHIND')?.message).toMatch(
      /assets\/x\.png\.import stays where it is: .*is 257 bytes long/,
    );
    await ws.apply({ type: 'relink', from: id, to: long });
    expect(ws.state.byId.get(id)?.path).toBe(long);
  });
});
