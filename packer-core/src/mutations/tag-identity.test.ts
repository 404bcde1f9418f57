import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newAssetId } from '../ids/asset-id.js';
import { planBuild } from '../processing/plan-build.js';
import { makeTempProject, TEST_CONFIG } from '../testing/temp-project.js';
import { Workspace } from '../workspace/workspace.js';

// Tags are identifiers: NFC and NFD spellings are one tag, surrounding whitespace is trimmed, control characters are
// refused; whichever way a tag comes in.

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';
const open: Workspace[] = [];
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.close();
});

async function project(
  packTags: string[] = ['x'],
  registryText?: (id: string) => string,
): Promise<{ root: string; ws: Workspace; id: string }> {
  const root = makeTempProject(
    { 'assets/a.txt': 'a', 'assets/b.txt': 'b' },
    { ...TEST_CONFIG, packs: [{ name: 'tagged', include: ['assets/**'], tags: packTags }] },
  );
  const id = newAssetId();
  if (registryText) writeFileSync(path.join(root, 'packer.registry.json'), registryText(id));
  const ws = await Workspace.open(root);
  open.push(ws);
  if (!registryText) await ws.apply({ type: 'register', paths: ['assets/a.txt'] });
  return { root, ws, id: ws.snapshot.assets[0]!.id };
}

const registryTags = (root: string): string[][] =>
  (
    JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8')) as { assets: { tags: string[] }[] }
  ).assets.map((entry) => entry.tags);

describe('tag identity', () => {
  it('set stores one NFC, trimmed tag per spelling; removing by another spelling removes it', async () => {
    const { root, ws, id } = await project();
    await ws.apply({ type: 'update', target: id, addTags: [NFC, NFD, ' x '] });
    expect(ws.snapshot.assets[0]!.tags).toEqual([NFC, 'x']);
    expect(registryTags(root)).toEqual([[NFC, 'x']]);
    await ws.apply({ type: 'update', target: id, removeTags: [NFD, 'x '] });
    expect(ws.snapshot.assets[0]!.tags).toEqual([]);
  });

  it('add --tag normalises too, and refuses a control character or an empty tag with INVALID_TAG', async () => {
    const { ws } = await project();
    const plan = ws.preview({ type: 'register', paths: ['assets/b.txt'], tags: [NFD, '  y'] });
    expect(plan.blockers).toEqual([]);
    expect(plan.registryMutations[0]).toMatchObject({ op: 'add', entry: { tags: [NFC, 'y'] } });
    for (const bad of ['a\tb', 'bell\u0007', '   ']) {
      const refused = ws.preview({ type: 'register', paths: ['assets/b.txt'], tags: [bad] });
      expect(refused.blockers).toEqual([
        expect.objectContaining({ code: 'INVALID_TAG', message: expect.stringContaining(JSON.stringify(bad)) }),
      ]);
      expect(refused.registryMutations).toEqual([]);
      const update = ws.preview({ type: 'update', target: 'assets/a.txt', addTags: [bad] });
      expect(update.blockers.map((item) => item.code)).toEqual(['INVALID_TAG']);
    }
  });

  it('a registry holding NFD, NFC and padded spellings still opens, with one normalised tag each', async () => {
    const { root, ws, id } = await project(['x'], (assetId) =>
      JSON.stringify({
        version: 2,
        assets: [{ id: assetId, path: 'assets/a.txt', kind: 'text', settings: {}, tags: [NFD, NFC, ' x ', 'x'] }],
      }),
    );
    expect(ws.snapshot.registryState).toBe('ok');
    expect(ws.snapshot.assets.map((asset) => asset.tags)).toEqual([[NFC, 'x']]);
    // The next write of the registry stores the one form.
    await ws.apply({ type: 'update', target: id, addTags: ['z'] });
    expect(registryTags(root)).toEqual([[NFC, 'x', 'z']]);
  });

  it('a pack selector spelled in NFD or with spaces selects the assets with the tag', async () => {
    const { ws, id } = await project([NFD, ' x']);
    await ws.apply({ type: 'update', target: id, addTags: [NFC] });
    const plan = planBuild(ws.state);
    expect(plan.packs[0]!.planned().entries.map((entry) => entry.assetId)).toEqual([id]);
    expect(plan.warnings.filter((item) => item.code === 'UNMATCHED_FILTER').map((item) => item.message)).toEqual([
      expect.stringContaining('tag "x"'),
    ]);
  });
});
