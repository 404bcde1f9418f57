import { afterEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import type { EventEnvelope } from '@packer/core/contract';
import { connectClient, EventRecorder, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { waitUntil } from './support/wait-until.js';

/**
 * Builds interrupted by a cancel and by `kill -9` of the daemon: the previous packs stay byte for byte, and the
 * next build is correct. Audio goes through a declared tool that takes a while per file, so the build is
 * reliably mid-way when the first progress event arrives (cached assets report first).
 */
const SLOW_COPY = "setTimeout(() => require('fs').copyFileSync(process.argv[1], process.argv[2]), 400)";
const AUDIO = [
  'music/theme-loop.wav',
  'sfx/coin.wav',
  'sfx/explosion.wav',
  'sfx/hit.wav',
  'sfx/jump.wav',
  'ui/click.wav',
];

let daemon: DaemonProcess | undefined;
afterEach(async () => {
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

async function slowAudioProject(): Promise<string> {
  const root = await copyFixture('sample-game');
  const configFile = path.join(root, 'packer.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as {
    kinds: Record<string, { processor: string }>;
    tools: Record<string, unknown>;
  };
  config.kinds.audio!.processor = 'slow-copy';
  config.tools['slow-copy'] = {
    command: process.execPath,
    args: ['-e', SLOW_COPY, '{input}', '{output}'],
    timeoutMs: 20_000,
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return root;
}

/** The pack each manifest names, by pack name: what a reader going through the manifests gets. */
function packsByManifest(root: string): Record<string, Buffer> {
  const dir = path.join(root, 'build');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith('.manifest.json'))
      .sort()
      .map((name) => {
        const manifest = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { file: string };
        return [name.slice(0, -'.manifest.json'.length), readFileSync(path.join(dir, manifest.file))];
      }),
  );
}

/** Finished packs and manifests in build/ (temp files of an interrupted build are not packs). */
function packFiles(root: string): Record<string, Buffer> {
  const dir = path.join(root, 'build');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .sort()
      .map((name) => [name, readFileSync(path.join(dir, name))]),
  );
}

function editAudio(root: string): void {
  for (const file of AUDIO) appendFileSync(path.join(root, 'assets/audio', file), Buffer.from([0x2a]));
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const isProgress = (operationId: string) => (events: EventEnvelope[]) =>
  events.some((event) => event.operationId === operationId && event.type === 'progress');

/** After an interrupted build: a full build completes, verifies, and packs the edited audio. */
async function expectCorrectRebuild(root: string): Promise<void> {
  const client = await connectClient(root);
  const { report } = await client.call('build.run', {});
  expect(report.counts.failed).toBe(0);
  expect(report.counts.processed + report.counts.cached).toBe(45);
  for (const pack of report.packs)
    expect((await client.call('packs.verify', { pack: pack.pack })).ok, pack.pack).toBe(true);
  const entries = (await client.call('packs.entries', { pack: 'audio' })).items;
  for (const entry of entries) expect(entry.digest, entry.path).toBe(sha256(readFileSync(path.join(root, entry.path))));
  expect(readdirSync(path.join(root, 'build')).filter((name) => name.includes('.tmp'))).toEqual([]);
  await client.close();
}

describe('interrupted builds', () => {
  it('operations.cancel stops a build promptly and leaves the previous packs untouched', async () => {
    daemon = await startDaemon({ root: await slowAudioProject() });
    const client = await connectClient(daemon.root);
    await client.call('build.run', {});
    const before = packFiles(daemon.root);
    editAudio(daemon.root);

    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const { operationId } = await client.call('build.start', {});
    await recorder.waitFor(isProgress(operationId), 15_000, 'first progress');
    const cancelledAt = Date.now();
    await client.call('operations.cancel', { operationId });
    const terminal = await recorder.terminalOf(operationId);
    expect(terminal.type).toBe('cancelled');
    expect(terminal.payload).toMatchObject({ kind: 'build', reason: 'cancelled by request' });
    expect(Date.now() - cancelledAt).toBeLessThan(2_000);
    expect(packFiles(daemon.root)).toEqual(before);
    expect(readdirSync(path.join(daemon.root, 'build')).filter((name) => name.includes('.tmp'))).toEqual([]);
    expect((await client.call('operations.get', { operationId })).state).toBe('cancelled');
    await client.close();
    await expectCorrectRebuild(daemon.root);
  });

  it('kill -9 while packs are being written leaves each pack either as it was or as the next build makes it', async () => {
    daemon = await startDaemon();
    const root = daemon.root;
    const client = await connectClient(root);
    await client.call('build.run', {});
    const before = packsByManifest(root);
    // A large asset keeps `core` busy being written when the kill lands.
    writeFileSync(path.join(root, 'assets/bin/navmesh.bin'), randomBytes(48 << 20));
    editAudio(root);
    await client.call('build.start', {});
    // A pack's temp file in build/ is a pack being written. Packs are written while their outputs arrive, so the
    // progress event naming the pack is coalesced away by the asset progress that follows: the disk is the signal.
    const buildDir = path.join(root, 'build');
    await waitUntil(
      () => readdirSync(buildDir).some((name) => /\.pack\.tmp-[0-9a-f]+$/.test(name)),
      'a pack is being written',
    );
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await client.close().catch(() => undefined);
    const atKill = packsByManifest(root);

    daemon = await startDaemon({ root });
    await expectCorrectRebuild(root);
    const after = packsByManifest(root);
    expect(Object.keys(atKill)).toEqual(Object.keys(before));
    for (const name of Object.keys(before)) {
      const bytes = atKill[name]!;
      expect(bytes.equals(before[name]!) || bytes.equals(after[name]!), name).toBe(true);
    }
  });

  it('kill -9 of the daemon mid-build leaves the previous packs intact, and the next daemon builds correctly', async () => {
    daemon = await startDaemon({ root: await slowAudioProject() });
    const root = daemon.root;
    const client = await connectClient(root);
    await client.call('build.run', {});
    const before = packFiles(root);
    editAudio(root);

    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const { operationId } = await client.call('build.start', {});
    await recorder.waitFor(isProgress(operationId), 15_000, 'first progress');
    daemon.child.kill('SIGKILL');
    expect((await daemon.exited).signal).toBe('SIGKILL');
    await client.close().catch(() => undefined);
    expect(packFiles(root)).toEqual(before);

    daemon = await startDaemon({ root });
    const after = await connectClient(root);
    expect((await after.call('operations.list', {})).items.some((item) => item.state === 'running')).toBe(false);
    await after.close();
    await expectCorrectRebuild(root);
  });
});
