import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { PackerError } from '../contract/errors.js';
import { Workspace } from '../workspace/workspace.js';
import { buildOutputs, packBytes, removeTestProjects, trackTestProject } from '../testing/build-test-project.js';
import { packFilesOf } from '../packs/pack-files.js';
import { verifyPackFiles } from '../packs/pack-queries.js';
import { OutputCacheIndex } from './output-cache-index.js';
import { runBuild } from './run-build.js';

afterAll(removeTestProjects);

async function openFixture(dest?: string): Promise<Workspace> {
  return Workspace.open(trackTestProject(await copyFixture('sample-game', dest)));
}

/** Stored outputs in the cache index (pass-through ones have no bytes of their own). */
async function cacheRows(stateDir: string): Promise<{ size: number; segment: number; offset: number }[]> {
  const index = new OutputCacheIndex(path.join(stateDir, 'cache'), true);
  try {
    return [...index.allRows()]
      .filter(([, row]) => row[4] >= 0)
      .map(([, row]) => ({ size: row[1], segment: row[4], offset: row[5] }));
  } finally {
    await index.release();
  }
}

function packsOnly(outputs: Record<string, Buffer>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(outputs).filter(([name]) => name.endsWith('.pack')));
}

describe('runBuild on the sample game', () => {
  it('gives byte-identical packs in two different directories', async () => {
    const first = await openFixture();
    const nested = path.join(
      trackTestProject(mkdtempSync(path.join(os.tmpdir(), 'packer-elsewhere-'))),
      'deeper',
      'still deeper',
    );
    const second = await openFixture(nested);
    const [a, b] = [await runBuild(first, { concurrency: 1 }), await runBuild(second, { concurrency: 4 })];
    expect(a.counts).toEqual({ processed: 45, cached: 0, failed: 0 });
    expect(a.packs.map((pack) => pack.digest)).toEqual(b.packs.map((pack) => pack.digest));
    const [outA, outB] = [packsOnly(buildOutputs(first.root)), packsOnly(buildOutputs(second.root))];
    // Content-addressed names (`<name>.<digest>.pack`), so equal in both directories too.
    expect(Object.keys(outA).map((name) => name.replace(/\.[0-9a-f]{16}\.pack$/, ''))).toEqual([
      'audio',
      'backgrounds',
      'core',
      'level1',
      'sprites',
      'ui',
    ]);
    expect(Object.keys(outB)).toEqual(Object.keys(outA));
    expect(Object.keys(outA)).toEqual(a.packs.map((pack) => `${pack.pack}.${pack.digest!.slice(0, 16)}.pack`).sort());
    for (const name of Object.keys(outA)) expect(outA[name]!.equals(outB[name]!), name).toBe(true);
    for (const rule of first.config.packs)
      expect((await verifyPackFiles(packFilesOf(first.root, first.config, rule.name))).ok).toBe(true);
  });

  it('processes nothing without changes, nothing after an mtime touch, one file after one edit', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const before = buildOutputs(ws.root);

    const again = await runBuild(ws);
    expect(again.counts).toEqual({ processed: 0, cached: 45, failed: 0 });
    expect(again.packs.every((pack) => pack.status === 'unchanged' && pack.cacheHits === pack.entries)).toBe(true);

    const settings = path.join(ws.root, 'assets/data/game-settings.json');
    const later = new Date(Date.now() + 60_000);
    utimesSync(settings, later, later);
    await ws.refresh();
    const touched = await runBuild(ws);
    expect(touched.counts).toEqual({ processed: 0, cached: 45, failed: 0 });
    expect(buildOutputs(ws.root)).toEqual(before);

    const json = JSON.parse(readFileSync(settings, 'utf8')) as Record<string, unknown>;
    writeFileSync(settings, JSON.stringify({ ...json, edited: true }, null, 2));
    await ws.refresh();
    const edited = await runBuild(ws);
    expect(edited.counts).toEqual({ processed: 1, cached: 44, failed: 0 });
    const status = Object.fromEntries(edited.packs.map((pack) => [pack.pack, pack.status]));
    expect(status).toEqual({
      core: 'written',
      sprites: 'unchanged',
      backgrounds: 'unchanged',
      audio: 'unchanged',
      ui: 'unchanged',
      level1: 'unchanged',
    });
    expect(buildOutputs(ws.root)).toMatchObject(
      Object.fromEntries(Object.entries(before).filter(([name]) => !name.startsWith('core.'))),
    );
    expect(Object.values(before).some((bytes) => bytes.equals(packBytes(ws.root, 'core')!))).toBe(false);
    // The previous core pack is gone: only the files the manifests name are left.
    expect(Object.keys(buildOutputs(ws.root)).filter((name) => name.endsWith('.pack'))).toHaveLength(6);
  });

  it('records the last build of each pack in the snapshot', async () => {
    const ws = await openFixture();
    const report = await runBuild(ws, { packs: ['core', 'ui'] });
    expect(report.revisionAfter).toBe(ws.snapshot.revision);
    expect(ws.snapshot.lastBuilds.map((build) => [build.pack, build.digest, build.revision])).toEqual([
      ['core', report.packs[0]!.digest, report.revision],
      ['ui', report.packs[1]!.digest, report.revision],
    ]);
  });

  it('detects a corrupted cache entry, rebuilds it and never packs it', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const good = packBytes(ws.root, 'core')!;
    // Corrupt every stored output (json and text) in its cache segment, then force core.pack to be written again.
    for (const row of await cacheRows(ws.stateDir)) {
      const segment = path.join(ws.stateDir, 'cache', 'segments', `${row.segment}.seg`);
      const bytes = readFileSync(segment);
      bytes[row.offset + Math.floor(row.size / 2)]! ^= 0xff;
      writeFileSync(segment, bytes);
    }
    const corrupted = (await cacheRows(ws.stateDir)).length;
    expect(corrupted).toBeGreaterThan(5);
    rmSync(packFilesOf(ws.root, ws.config, 'core').pack);
    const report = await runBuild(ws, { packs: ['core'] });
    expect(report.counts.processed).toBeGreaterThan(0);
    expect(report.counts.processed + report.counts.cached).toBe(15);
    expect(packBytes(ws.root, 'core')!.equals(good)).toBe(true);
    expect((await verifyPackFiles(packFilesOf(ws.root, ws.config, 'core'))).ok).toBe(true);
  });

  it('keeps the cache under its size cap, evicting least recently used outputs', async () => {
    const ws = await openFixture();
    await runBuild(ws, { cacheMaxBytes: 1000 });
    const rows = await cacheRows(ws.stateDir);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.reduce((sum, row) => sum + row.size, 0)).toBeLessThanOrEqual(1000);
    // Evicted outputs are simply processed again; the packs stay identical.
    const before = packBytes(ws.root, 'core')!;
    rmSync(packFilesOf(ws.root, ws.config, 'core').pack);
    const again = await runBuild(ws, { cacheMaxBytes: 1000 });
    expect(again.counts.processed).toBeGreaterThan(0);
    expect(packBytes(ws.root, 'core')!.equals(before)).toBe(true);
  });

  it('fails with BLOCKED and writes nothing when a registered file is missing', async () => {
    const ws = await openFixture();
    rmSync(path.join(ws.root, 'assets/audio/sfx/jump.wav'));
    await ws.refresh();
    const error = await runBuild(ws).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PackerError);
    expect((error as PackerError).code).toBe('BLOCKED');
    expect(((error as PackerError).data.blockers as { code: string }[]).map((item) => item.code)).toContain(
      'MISSING_FILE',
    );
    expect(buildOutputs(ws.root)).toEqual({});
    // A build of packs that do not hold the missing asset is not blocked.
    await expect(runBuild(ws, { packs: ['core'] })).resolves.toMatchObject({ counts: { processed: 15 } });
  });

  it('a build that fails at its commit point leaves no staged pack or manifest behind, and the next one goes through', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const before = buildOutputs(ws.root);
    appendFileSync(path.join(ws.root, 'assets/text/credits.md'), 'one more line\n');
    await ws.refresh(['assets/text/credits.md']);
    // The build journal cannot be written (a folder stands where it goes): a real failure, not a crash.
    const journal = path.join(ws.stateDir, 'build-journal.json');
    rmSync(journal, { force: true });
    mkdirSync(path.join(journal, 'in-the-way'), { recursive: true });
    await expect(runBuild(ws)).rejects.toThrow();
    const buildDir = path.join(ws.root, 'build');
    expect(readdirSync(buildDir).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(buildOutputs(ws.root)).toEqual(before);
    rmSync(journal, { recursive: true });
    const after = await runBuild(ws);
    expect(after.packs.filter((pack) => pack.status === 'written').map((pack) => pack.pack)).toEqual(['core']);
  });

  it('fails an asset whose file changed after the snapshot was pinned, keeping its packs as they were', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const before = packBytes(ws.root, 'core')!;
    // Same size, new bytes, and no rescan: the snapshot still holds the old digest.
    const wav = path.join(ws.root, 'assets/audio/sfx/coin.wav');
    const bytes = readFileSync(wav);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(wav, bytes);
    rmSync(packFilesOf(ws.root, ws.config, 'audio').pack);
    const error = (await runBuild(ws, { packs: ['audio', 'core'] }).catch((caught: unknown) => caught)) as PackerError;
    expect(error.data.blockers).toEqual([
      {
        code: 'CHANGED_DURING_BUILD',
        severity: 'blocker',
        message: 'assets/audio/sfx/coin.wav changed while the build was running; build again.',
        assetId: expect.any(String),
        path: 'assets/audio/sfx/coin.wav',
      },
    ]);
    expect(packBytes(ws.root, 'audio')).toBeUndefined();
    expect(packBytes(ws.root, 'core')!.equals(before)).toBe(true);
    await ws.refresh();
    await expect(runBuild(ws, { packs: ['audio'] })).resolves.toMatchObject({ counts: { processed: 1, cached: 5 } });
  });

  // QA #12: a deleted input was reported as "changed ...; build again" with the hint "Build again." after it.
  it.each([
    // Processed now: the json processor finds no file.
    { path: 'assets/data/levels/level2.json', pack: 'core', buildFirst: false },
    // A cache hit whose output is the input file: the pack writer finds no file to copy.
    { path: 'assets/audio/sfx/coin.wav', pack: 'audio', buildFirst: true },
  ])('says $path was deleted while the build was running, once, and what to do', async (item) => {
    const ws = await openFixture();
    if (item.buildFirst) {
      await runBuild(ws);
      rmSync(packFilesOf(ws.root, ws.config, item.pack).pack);
    }
    // No rescan: the pinned snapshot still has the file.
    rmSync(path.join(ws.root, item.path));
    const error = (await runBuild(ws, { packs: [item.pack] }).catch((caught: unknown) => caught)) as PackerError;
    expect(error.code).toBe('BLOCKED');
    const blockers = error.data.blockers as { code: string; message: string; hint?: string }[];
    expect(blockers).toEqual([
      {
        code: 'CHANGED_DURING_BUILD',
        severity: 'blocker',
        message: `${item.path} was deleted while the build was running; build again.`,
        assetId: expect.any(String),
        path: item.path,
        hint: 'If it was deleted on purpose, run `packer reconcile` to drop the asset; otherwise restore the file.',
      },
    ]);
    expect(error.message).toContain(`First: ${item.path} was deleted while the build was running; build again.`);
    // What the hint promises: the next build (after the watcher's rescan) blocks on the missing file.
    await ws.refresh();
    const next = (await runBuild(ws, { packs: [item.pack] }).catch((caught: unknown) => caught)) as PackerError;
    expect((next.data.blockers as { code: string }[]).map((blocker) => blocker.code)).toContain('MISSING_FILE');
  });

  it('keeps earlier packs and reports the asset when a processor fails', async () => {
    const ws = await openFixture();
    await runBuild(ws);
    const before = Object.fromEntries(['core', 'level1', 'audio'].map((name) => [name, packBytes(ws.root, name)!]));
    const level = path.join(ws.root, 'assets/data/levels/level1.json');
    writeFileSync(level, '{\n  "name": "broken",\n  "tiles": [1, 2,, 3]\n}\n');
    appendFileSync(path.join(ws.root, 'assets/audio/sfx/jump.wav'), Buffer.from([1]));
    await ws.refresh();
    const error = (await runBuild(ws).catch((caught: unknown) => caught)) as PackerError;
    expect(error.code).toBe('BLOCKED');
    const [failure] = error.data.blockers as { code: string; path: string; message: string }[];
    expect(failure).toMatchObject({ code: 'PROCESSOR_FAILED', path: 'assets/data/levels/level1.json' });
    expect(failure!.message).toContain('line 3, column 18');
    const report = error.data.report as { packs: { pack: string; status: string }[] };
    // level1.json sits in `core` and in `level1`: both keep their old bytes; `audio` got the new jump.wav.
    expect(Object.fromEntries(report.packs.map((pack) => [pack.pack, pack.status]))).toMatchObject({
      core: 'failed',
      level1: 'failed',
      audio: 'written',
      sprites: 'unchanged',
    });
    expect(packBytes(ws.root, 'core')!.equals(before.core!)).toBe(true);
    expect(packBytes(ws.root, 'level1')!.equals(before.level1!)).toBe(true);
    expect(packBytes(ws.root, 'audio')!.equals(before.audio!)).toBe(false);
  });
});
