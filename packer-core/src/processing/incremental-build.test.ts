import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { Workspace } from '../workspace/workspace.js';
import { packBytes, removeTestProjects, trackTestProject } from '../testing/build-test-project.js';
import { packFilesOf } from '../packs/pack-files.js';
import { verifyPackFiles } from '../packs/pack-queries.js';
import { pruneOutputCache } from './cache-maintenance.js';
import { runBuild } from './run-build.js';

afterAll(removeTestProjects);

async function openFixture(): Promise<Workspace> {
  return Workspace.open(trackTestProject(await copyFixture('sample-game')));
}

/** Every file of the build folder: inode, mtime and size, so a rewrite (even of the same bytes) shows. */
function buildFolderStats(root: string): Record<string, [number, number, number]> {
  const dir = path.join(root, 'build');
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => {
        const stats = statSync(path.join(dir, name));
        return [name, [stats.ino, stats.mtimeMs, stats.size]];
      }),
  );
}

/** The packs (and manifests, revision aside) of a from-scratch build of a copy of the project: no `.packer/`, no
 * `build/`. */
async function scratchBuild(ws: Workspace): Promise<Record<string, { pack: Buffer | undefined; manifest: unknown }>> {
  const copy = path.join(trackTestProject(mkdtempSync(path.join(os.tmpdir(), 'packer-scratch-'))), 'project');
  cpSync(ws.root, copy, {
    recursive: true,
    filter: (source) => !['.packer', 'build'].includes(path.relative(ws.root, source).split(path.sep)[0]!),
  });
  const scratch = await Workspace.open(copy);
  try {
    await runBuild(scratch);
    return packsOf(scratch);
  } finally {
    await scratch.close();
  }
}

function packsOf(ws: Workspace): Record<string, { pack: Buffer | undefined; manifest: unknown }> {
  return Object.fromEntries(
    ws.config.packs.map((rule) => {
      const { revision: _revision, ...manifest } = JSON.parse(
        readFileSync(path.join(ws.root, 'build', `${rule.name}.manifest.json`), 'utf8'),
      ) as Record<string, unknown>;
      return [rule.name, { pack: packBytes(ws.root, rule.name), manifest }];
    }),
  );
}

function expectSamePacks(actual: ReturnType<typeof packsOf>, expected: ReturnType<typeof packsOf>): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const name of Object.keys(expected)) {
    expect(actual[name]!.manifest, name).toEqual(expected[name]!.manifest);
    expect(actual[name]!.pack?.equals(expected[name]!.pack!), name).toBe(true);
  }
}

describe('incremental builds', () => {
  it('a no-change build writes nothing, publishes no revision and needs no cached output', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const before = buildFolderStats(ws.root);
    // Not even the output cache is needed: the packs on disk already hold every output (it was processed again before).
    await pruneOutputCache(ws.stateDir);
    const progress: number[] = [];
    const again = await runBuild(ws, { onProgress: (report) => progress.push(report.done) });
    expect(again.counts).toEqual({ processed: 0, cached: 45, failed: 0 });
    expect(again.packs.map((pack) => [pack.pack, pack.status, pack.cacheHits === pack.entries])).toEqual(
      ws.config.packs.map((rule) => [rule.name, 'unchanged', true]),
    );
    expect(again.revisionAfter).toBe(again.revision);
    expect(buildFolderStats(ws.root)).toEqual(before);
    // One progress report for all settled assets, not one per asset.
    expect(progress).toEqual([45]);
  });

  it('a one-file edit processes that file and rewrites only its pack, copying the other entries out of the previous version', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const before = buildFolderStats(ws.root);
    // With no cached outputs, anything but the edited file that is processed was not taken from the previous pack.
    await pruneOutputCache(ws.stateDir);
    const settings = path.join(ws.root, 'assets/data/game-settings.json');
    writeFileSync(
      settings,
      JSON.stringify({ ...(JSON.parse(readFileSync(settings, 'utf8')) as object), edited: true }, null, 2),
    );
    await ws.refresh();
    const edited = await runBuild(ws);
    expect(edited.counts).toEqual({ processed: 1, cached: 44, failed: 0 });
    expect(Object.fromEntries(edited.packs.map((pack) => [pack.pack, pack.status]))).toEqual({
      core: 'written',
      sprites: 'unchanged',
      backgrounds: 'unchanged',
      audio: 'unchanged',
      ui: 'unchanged',
      level1: 'unchanged',
    });
    const after = buildFolderStats(ws.root);
    const untouched = (stats: typeof before) =>
      Object.fromEntries(Object.entries(stats).filter(([name]) => !name.startsWith('core.')));
    expect(untouched(after)).toEqual(untouched(before));
    expect((await verifyPackFiles(packFilesOf(ws.root, ws.config, 'core'))).ok).toBe(true);
    expectSamePacks(packsOf(ws), await scratchBuild(ws));
  });

  it('does not copy from a previous version whose bytes changed under an unchanged stat: its entries come from the cache', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const files = packFilesOf(ws.root, ws.config, 'core');
    const manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as {
      entries: { offset: number; size: number; name: string }[];
    };
    const victim = manifest.entries.find((entry) => entry.name !== 'data/items.json' && entry.size > 8)!;
    // Rot one byte of an entry that stays, then give the build state the new stat: as if the disk changed it unseen.
    const bytes = readFileSync(files.pack);
    bytes[victim.offset + 4]! ^= 0xff;
    writeFileSync(files.pack, bytes);
    const stateFile = path.join(ws.stateDir, 'build-state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { packs: Record<string, { pack: number[] }> };
    const stats = statSync(files.pack);
    state.packs.core!.pack = [stats.size, stats.mtimeMs, stats.ino];
    writeFileSync(stateFile, JSON.stringify(state));
    writeFileSync(path.join(ws.root, 'assets/data/items.json'), JSON.stringify({ edited: true }));
    await ws.refresh();
    const report = await runBuild(ws, { packs: ['core'] });
    expect(report.packs[0]).toMatchObject({ pack: 'core', status: 'written' });
    expect(report.counts.processed + report.counts.cached).toBe(15);
    expect((await verifyPackFiles(packFilesOf(ws.root, ws.config, 'core'))).ok).toBe(true);
    expect(packsOf(ws).core).toEqual((await scratchBuild(ws)).core);
  });

  it('gives the packs of a from-scratch build, byte for byte, after any sequence of edits', async () => {
    type Step =
      | { op: 'append'; pick: number }
      | { op: 'json'; pick: number; value: number }
      | { op: 'minify'; pick: number; on: boolean }
      | { op: 'rename'; pick: number; suffix: string }
      | { op: 'add'; name: string; tag: boolean }
      | { op: 'remove'; pick: number }
      | { op: 'touch'; pick: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.nat().map((pick) => ({ op: 'append' as const, pick })),
      fc.tuple(fc.nat(), fc.integer()).map(([pick, value]) => ({ op: 'json' as const, pick, value })),
      fc.tuple(fc.nat(), fc.boolean()).map(([pick, on]) => ({ op: 'minify' as const, pick, on })),
      fc
        .tuple(fc.nat(), fc.constantFrom('b', 'zz', '0'))
        .map(([pick, suffix]) => ({ op: 'rename' as const, pick, suffix })),
      fc
        .tuple(fc.constantFrom('alpha', 'omega', 'mid'), fc.boolean())
        .map(([name, tag]) => ({ op: 'add' as const, name, tag })),
      fc.nat().map((pick) => ({ op: 'remove' as const, pick })),
      fc.nat().map((pick) => ({ op: 'touch' as const, pick })),
    );
    let added = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 3 }), async (steps) => {
        const ws = await openFixture();
        try {
          await runBuild(ws);
          for (const step of steps) {
            const assets = ws.snapshot.assets.filter((asset) => asset.status === 'present');
            const ofKinds = (...kinds: string[]) =>
              assets.filter((asset) => kinds.includes(asset.kind)).sort((a, b) => (a.path < b.path ? -1 : 1));
            const pickOf = <T>(items: readonly T[], pick: number): T | undefined =>
              items[pick % Math.max(1, items.length)];
            if (step.op === 'append') {
              const asset = pickOf(ofKinds('text', 'audio', 'binary'), step.pick);
              if (asset)
                appendFileSync(
                  path.join(ws.root, asset.path),
                  asset.kind === 'text' ? 'one more line\n' : Buffer.from([step.pick & 0xff]),
                );
            } else if (step.op === 'json') {
              const asset = pickOf(ofKinds('data'), step.pick);
              if (asset) writeFileSync(path.join(ws.root, asset.path), JSON.stringify({ edited: step.value }, null, 2));
            } else if (step.op === 'touch') {
              const asset = pickOf(assets, step.pick);
              if (asset) writeFileSync(path.join(ws.root, asset.path), readFileSync(path.join(ws.root, asset.path)));
            } else if (step.op === 'minify') {
              const asset = pickOf(ofKinds('data'), step.pick);
              if (asset) await ws.apply({ type: 'update', target: asset.id, settings: { minify: step.on } });
            } else if (step.op === 'rename') {
              const asset = pickOf(ofKinds('text', 'data', 'audio', 'image'), step.pick);
              if (asset)
                await ws.apply({
                  type: 'move',
                  from: asset.id,
                  to: asset.path.replace(/(\.[a-z]+)$/, `-${step.suffix}$1`),
                });
            } else if (step.op === 'add') {
              const file = `assets/text/${step.name}-${++added}.txt`;
              writeFileSync(path.join(ws.root, file), `new ${step.name}\n`);
              await ws.refresh();
              await ws.apply({ type: 'register', paths: [file], ...(step.tag ? { tags: ['ui'] } : {}) });
            } else {
              const asset = pickOf(ofKinds('text', 'data', 'binary'), step.pick);
              if (asset) await ws.apply({ type: 'remove', targets: [asset.id], deleteFiles: true });
            }
            await ws.refresh();
            await runBuild(ws);
            expectSamePacks(packsOf(ws), await scratchBuild(ws));
          }
        } finally {
          await ws.close();
        }
      }),
      { numRuns: 4 },
    );
  }, 240_000);
});
