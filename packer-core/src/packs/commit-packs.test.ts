import { appendFileSync, existsSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixture } from '@packer/fixtures';
import { Workspace } from '../workspace/workspace.js';
import { packBytes, removeTestProjects, trackTestProject } from '../testing/build-test-project.js';
import { checkPacks } from './pack-health.js';
import { packFilesOf, readManifest } from './pack-files.js';
import { PackReader } from './pack-reader.js';
import { listPackEntries, verifyPackFiles } from './pack-queries.js';
import { interruptedBuildError, recoverBuildFolder } from './recover-build.js';
import { runBuild } from '../processing/run-build.js';

afterAll(removeTestProjects);

const PACKS = ['core', 'sprites', 'backgrounds', 'audio', 'ui', 'level1'];
/** The packs the second build rewrites (config order), one edited asset each. */
const WRITTEN = ['core', 'sprites', 'audio'];
const EDITS = ['assets/text/how-to-play.md', 'assets/sprites/enemies/bat.png', 'assets/audio/sfx/jump.wav'];

/** Every gap between the steps that put packs in place, and the packs whose new version is in force after it. */
const BUILD_CRASH_POINTS: [point: string, replaced: string[]][] = [
  ['build:packs-staged', []],
  ['build:journal-written', []],
  ...WRITTEN.map((name): [string, string[]] => [`build:pack-placed:${name}`, []]),
  ['build:packs-placed', []],
  ...WRITTEN.map((name, index): [string, string[]] => [
    `build:manifest-committed:${name}`,
    WRITTEN.slice(0, index + 1),
  ]),
  ['build:old-packs-removed', WRITTEN],
  ['build:state-saved', WRITTEN],
];

class SimulatedCrash extends Error {}

/** A built sample game whose second build will rewrite core, sprites and audio. */
async function builtThenEdited(): Promise<{ ws: Workspace; before: Record<string, Buffer> }> {
  const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
  await runBuild(ws);
  const before = Object.fromEntries(PACKS.map((name) => [name, packBytes(ws.root, name)!]));
  for (const file of EDITS) appendFileSync(path.join(ws.root, file), '\n');
  await ws.refresh();
  return { ws, before };
}

/** Each manifest names a pack file that exists and verifies against it. */
async function expectConsistentPairs(ws: Workspace): Promise<void> {
  for (const name of PACKS) {
    const result = await verifyPackFiles(packFilesOf(ws.root, ws.config, name));
    expect(result.ok, `${name}: ${result.problem?.message}`).toBe(true);
  }
}

describe('putting packs in place', () => {
  it.each(BUILD_CRASH_POINTS)(
    'a build that stops at %s leaves every pack with its manifest, and recovery says which were replaced',
    async (point, replaced) => {
      const { ws, before } = await builtThenEdited();
      const crash = (reached: string) => {
        if (reached === point) throw new SimulatedCrash(point);
      };
      await expect(runBuild(ws, { crashHook: crash, operationId: 'op_crashed' })).rejects.toBeInstanceOf(
        SimulatedCrash,
      );

      // Before any recovery: a reader going through the manifests sees whole, matching pairs.
      await expectConsistentPairs(ws);
      for (const name of PACKS) {
        const now = packBytes(ws.root, name)!;
        expect(now.equals(before[name]!), name).toBe(!replaced.includes(name));
      }

      const recovery = recoverBuildFolder(ws.root, ws.stateDir, ws.config);
      const journaled = point !== 'build:packs-staged';
      expect(recovery).toMatchObject({
        journal: journaled ? 'committing' : 'none',
        replaced: journaled ? replaced : [],
        kept: journaled ? WRITTEN.filter((name) => !replaced.includes(name)) : [],
      });
      const error = interruptedBuildError('op_crashed', true, recovery);
      if (replaced.length === 0) expect(error.message).toMatch(/no pack was replaced/);
      for (const name of replaced) expect(error.message).toContain(name);
      if (replaced.length > 0 && replaced.length < WRITTEN.length)
        expect(error.message).toMatch(/audio kept (its|their) previous version/);

      // No temp file, no pack file that no manifest names, no journal; nothing for status to flag.
      const files = readdirSync(path.join(ws.root, 'build')).sort();
      expect(files.filter((name) => name.startsWith('.'))).toEqual([]);
      expect(files.filter((name) => name.endsWith('.pack'))).toEqual(
        PACKS.map((name) => readManifest(packFilesOf(ws.root, ws.config, name).manifest)!.file).sort(),
      );
      expect(existsSync(path.join(ws.stateDir, 'build-journal.json'))).toBe(false);
      expect(checkPacks(ws.root, ws.config)).toEqual([]);
      await expectConsistentPairs(ws);

      // The next build rewrites exactly the packs that kept their previous version.
      const next = await runBuild(ws);
      const expected = journaled ? WRITTEN.filter((name) => !replaced.includes(name)) : WRITTEN;
      expect(next.packs.filter((pack) => pack.status === 'written').map((pack) => pack.pack)).toEqual(expected);
      await expectConsistentPairs(ws);
    },
  );

  it('names the interrupted build only when the journal is its own', async () => {
    const { ws } = await builtThenEdited();
    await expect(
      runBuild(ws, {
        crashHook: (at) => {
          if (at === 'build:manifest-committed:core') throw new SimulatedCrash(at);
        },
        operationId: 'op_first',
      }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    const recovery = recoverBuildFolder(ws.root, ws.stateDir, ws.config);
    expect(interruptedBuildError('op_first', true, recovery)).toMatchObject({
      data: { recovered: 'partial', replaced: ['core'], kept: ['sprites', 'audio'] },
    });
    expect(interruptedBuildError('op_other', true, recovery)).toMatchObject({ data: { recovered: 'before' } });
    expect(interruptedBuildError('op_first', false, recovery).message).toMatch(/before this build started/);
  });
});

describe('readers during a build', () => {
  it('a reader that opened the previous version keeps reading it; one that resolved it late is sent to the new one', async () => {
    const { ws } = await builtThenEdited();
    const old = packFilesOf(ws.root, ws.config, 'core');
    const reader = await PackReader.open(old.pack);
    const first = reader.entries[0]!;
    await runBuild(ws);
    expect(existsSync(old.pack)).toBe(false);
    expect((await reader.read(first.id)).length).toBe(first.size);
    await reader.close();
    const now = packFilesOf(ws.root, ws.config, 'core');
    expect(now.pack).not.toBe(old.pack);
    expect(await verifyPackFiles(old)).toMatchObject({ ok: true, file: now.relativePack });
    expect(await listPackEntries(old)).toMatchObject({ file: now.relativePack, total: 15 });
  });
});

describe('PACK_UNVERIFIED', () => {
  it('flags a missing, resized, foreign or manifest-less pack, and a build clears it', async () => {
    const ws = await Workspace.open(trackTestProject(await copyFixture('sample-game')));
    await runBuild(ws);
    expect(checkPacks(ws.root, ws.config)).toEqual([]);
    const file = (name: string) => packFilesOf(ws.root, ws.config, name);
    rmSync(file('core').pack);
    truncateSync(file('sprites').pack, 1000);
    // The old layout's torn state: a new pack under the manifest's name, the old manifest beside it.
    const audio = readManifest(file('audio').manifest)!;
    writeFileSync(
      file('audio').manifest,
      JSON.stringify({
        ...audio,
        entries: audio.entries.map((entry, index) => (index === 0 ? { ...entry, digest: '0'.repeat(64) } : entry)),
      }),
    );
    writeFileSync(file('ui').manifest, '{ not json');
    rmSync(file('level1').manifest);
    const found = checkPacks(ws.root, ws.config);
    expect(found.map((item) => [item.code, item.severity, item.path])).toEqual([
      ['PACK_UNVERIFIED', 'warning', file('core').relativePack],
      ['PACK_UNVERIFIED', 'warning', file('sprites').relativePack],
      ['PACK_UNVERIFIED', 'warning', file('audio').relativePack],
      ['PACK_UNVERIFIED', 'warning', 'build/ui.manifest.json'],
      ['PACK_UNVERIFIED', 'warning', 'build/level1.manifest.json'],
    ]);
    expect(found.map((item) => item.message)).toEqual([
      expect.stringMatching(/core: .* is missing/),
      expect.stringMatching(/sprites: .* is 1000 bytes where its manifest says \d+/),
      expect.stringMatching(/audio: .* holds other entries than its manifest lists/),
      expect.stringMatching(/ui: build\/ui.manifest.json is not a valid manifest/),
      expect.stringMatching(/level1: build\/level1\.[0-9a-f]{16}\.pack has no manifest beside it/),
    ]);
    // It is in the snapshot after a build records it, and gone once the build rewrote the packs.
    await ws.recordBuilds(ws.snapshot.lastBuilds, found);
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'PACK_UNVERIFIED')).toHaveLength(5);
    await runBuild(ws);
    expect(ws.snapshot.diagnostics.filter((item) => item.code === 'PACK_UNVERIFIED')).toEqual([]);
    await expectConsistentPairs(ws);
  });
});
