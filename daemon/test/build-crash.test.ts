import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import { runBuild, Workspace } from '@packer/core';
import type { DaemonClient } from '@packer/client';
import { connectClient, EventRecorder, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

/**
 * A daemon SIGKILLed (PACKER_TEST_CRASH_AT, a real kill -9 of the process) in every gap between the steps
 * that put packs in place, then a fresh daemon on the same project: each manifest names a whole pack that
 * verifies, no temp file is left, nothing is flagged, and the build's `failed` event names exactly the packs
 * that were replaced and those that kept their previous version.
 */
const PACKS = ['audio', 'backgrounds', 'core', 'level1', 'sprites', 'ui'];
/** One edited asset in each of three packs: the second build rewrites core, sprites and audio, in that order. */
const WRITTEN = ['core', 'sprites', 'audio'];
const EDITS = ['assets/text/how-to-play.md', 'assets/sprites/enemies/bat.png', 'assets/audio/sfx/jump.wav'];

/** Each gap, and the packs whose new version is in force once the daemon died there. */
const GAPS: [point: string, replaced: string[]][] = [
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

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The bytes of the pack each manifest names, by pack name. */
function packsByName(root: string): Record<string, Buffer> {
  return Object.fromEntries(
    PACKS.map((name) => {
      const manifest = JSON.parse(readFileSync(path.join(root, 'build', `${name}.manifest.json`), 'utf8')) as {
        file: string;
      };
      return [name, readFileSync(path.join(root, 'build', manifest.file))];
    }),
  );
}

/** A sample game built once (in-process), with three packs' assets edited since. */
async function builtProject(): Promise<{ root: string; before: Record<string, Buffer> }> {
  const root = await copyFixture('sample-game');
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const workspace = await Workspace.open(root);
  await runBuild(workspace);
  await workspace.close();
  const before = packsByName(root);
  for (const file of EDITS) appendFileSync(path.join(root, file), '\n');
  return { root, before };
}

async function started(options: Parameters<typeof startDaemon>[0]): Promise<DaemonProcess> {
  const daemon = await startDaemon(options);
  cleanups.push(() => stopDaemon(daemon, { keepRoot: true }));
  return daemon;
}

async function connected(root: string): Promise<DaemonClient> {
  const client = await connectClient(root);
  cleanups.push(() => client.close().catch(() => undefined));
  return client;
}

/** Runs a build on a daemon that kills itself at `point`; resolves with the build's id and the cursor before it. */
async function crashBuildAt(root: string, point: string): Promise<{ operationId: string; cursor: string }> {
  const crashing = await started({ root, env: { PACKER_TEST_CRASH_AT: point } });
  const client = await connected(root);
  const cursor = client.hello.cursor;
  const { operationId } = await client.call('build.start', {});
  expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });
  await client.close().catch(() => undefined);
  return { operationId, cursor };
}

describe.each(GAPS)('a daemon killed at %s', (point, replaced) => {
  const kept = point === 'build:packs-staged' ? [] : WRITTEN.filter((name) => !replaced.includes(name));

  it(`restarts with whole packs, no temp files, and a failed event naming ${replaced.join(', ') || 'no pack'} as replaced`, async () => {
    const { root, before } = await builtProject();
    const { operationId, cursor } = await crashBuildAt(root, point);

    await started({ root });
    const client = await connected(root);
    const recorder = new EventRecorder();
    await client.subscribe({ since: cursor, onEvent: recorder.onEvent });
    const failed = await recorder.terminalOf(operationId, 20_000);
    expect(failed.type).toBe('failed');
    const error = failed.payload as {
      kind: string;
      error: { code: string; message: string; data: { recovered: string; replaced: string[]; kept: string[] } };
    };
    expect(error.kind).toBe('build');
    expect(error.error.data).toMatchObject({
      replaced,
      kept,
      recovered: kept.length === 0 && replaced.length > 0 ? 'after' : replaced.length === 0 ? 'before' : 'partial',
    });
    // The message says what happened to the packs, never the registry sentence.
    expect(error.error.message).not.toMatch(/rolled it back/);
    if (replaced.length === 0) expect(error.error.message).toMatch(/no pack was replaced/);
    else
      expect(error.error.message).toMatch(
        new RegExp(`${replaced.length === 1 ? 'pack' : 'packs'} ${replaced.join(', ')} (was|were) replaced`),
      );
    if (kept.length > 0)
      expect(error.error.message).toContain(
        `${kept.join(', ')} kept ${kept.length === 1 ? 'its' : 'their'} previous version`,
      );

    // On disk: the replaced packs hold the new bytes, the others the old ones, and each verifies with its manifest.
    const now = packsByName(root);
    for (const name of PACKS) expect(now[name]!.equals(before[name]!), name).toBe(!replaced.includes(name));
    for (const name of PACKS) expect((await client.call('packs.verify', { pack: name })).ok, name).toBe(true);
    const files = readdirSync(path.join(root, 'build'));
    expect(files.filter((name) => name.startsWith('.'))).toEqual([]);
    expect(files.filter((name) => name.endsWith('.pack'))).toHaveLength(PACKS.length);
    const diagnostics = await client.call('diagnostics.list', { sync: true });
    expect(diagnostics.items.filter((item) => item.code === 'PACK_UNVERIFIED')).toEqual([]);
    // Last builds show the replaced packs' new digests.
    const summary = await client.call('snapshot.summary', {});
    for (const name of replaced)
      expect(summary.lastBuilds.find((build) => build.pack === name)?.digest, name).toBe(
        JSON.parse(readFileSync(path.join(root, 'build', `${name}.manifest.json`), 'utf8')).digest,
      );

    // The next build rewrites exactly what the crash left at its previous version.
    const { report } = await client.call('build.run', {});
    expect(
      report.packs
        .filter((pack) => pack.status === 'written')
        .map((pack) => pack.pack)
        .sort(),
    ).toEqual(WRITTEN.filter((name) => !replaced.includes(name)).sort());
  });
});

describe('PACK_UNVERIFIED at daemon start', () => {
  it('flags the torn pair an old-layout crash left (new pack, old manifest), a missing pack and temp files, until a build', async () => {
    const { root } = await builtProject();
    const oldManifest = readFileSync(path.join(root, 'build/core.manifest.json'), 'utf8');
    const workspace = await Workspace.open(root);
    await runBuild(workspace, { packs: ['core'] });
    await workspace.close();
    // What the old writer left when killed between its two renames: core.pack new, core.manifest.json old.
    const newCore = JSON.parse(readFileSync(path.join(root, 'build/core.manifest.json'), 'utf8')) as { file: string };
    writeFileSync(path.join(root, 'build/core.pack'), readFileSync(path.join(root, 'build', newCore.file)));
    rmSync(path.join(root, 'build', newCore.file));
    writeFileSync(
      path.join(root, 'build/core.manifest.json'),
      JSON.stringify({ ...JSON.parse(oldManifest), file: 'core.pack' }, null, 2),
    );
    const ui = JSON.parse(readFileSync(path.join(root, 'build/ui.manifest.json'), 'utf8')) as { file: string };
    rmSync(path.join(root, 'build', ui.file));
    writeFileSync(path.join(root, 'build/.sprites.pack.tmp-0a1b2c3d4e5f'), 'partial');
    writeFileSync(path.join(root, 'build/.audio.manifest.json.4242.1700000000000.tmp'), '{');

    await started({ root });
    const client = await connected(root);
    expect((await client.call('packs.verify', { pack: 'core' })).ok).toBe(false);
    const list = await client.call('diagnostics.list', { sync: true });
    const unverified = list.items.filter((item) => item.code === 'PACK_UNVERIFIED');
    expect(unverified.map((item) => [item.severity, item.path])).toEqual([
      ['warning', 'build/core.pack'],
      ['warning', `build/${ui.file}`],
    ]);
    expect(unverified[0]!.message).toMatch(/holds other entries than its manifest lists/);
    expect(unverified[1]!.message).toMatch(/is missing/);
    expect(list.warnings).toBeGreaterThanOrEqual(2);
    expect((await client.call('snapshot.summary', {})).summary.warnings).toBeGreaterThanOrEqual(2);
    expect(readdirSync(path.join(root, 'build')).filter((name) => name.startsWith('.'))).toEqual([]);

    await client.call('build.run', {});
    expect(
      (await client.call('diagnostics.list', { sync: true })).items.filter((item) => item.code === 'PACK_UNVERIFIED'),
    ).toEqual([]);
    for (const name of PACKS) expect((await client.call('packs.verify', { pack: name })).ok, name).toBe(true);
    // The old layout's file went with the manifest that named it.
    expect(readdirSync(path.join(root, 'build')).filter((name) => name.endsWith('.pack'))).toHaveLength(PACKS.length);
  });
});
