import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonClient } from '@packer/client';
import { RECHECK_AFTER_MS } from '../src/own-writes.js';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { seqOf, StreamRecorder } from './support/event-stream.js';

// A file the daemon's own apply wrote, removed a moment later by someone else: @parcel/watcher merges the create its
// rename caused and the delete into no event at all (its event list skips a path both created and deleted within one
// debounce window), and the apply had published the file as present itself. A real daemon, its real watcher, real
// files: the next synced read must see what is on disk (QA: `packer mv … --yes; rm …` showed `present` for good).

let daemon: DaemonProcess | undefined;
let client: DaemonClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

const SFX = ['jump', 'coin', 'hit', 'explosion'].map((name) => `assets/audio/sfx/${name}.wav`);

async function start(): Promise<{ root: string; client: DaemonClient }> {
  daemon = await startDaemon();
  client = await connectClient(daemon.root, 'own-writes');
  return { root: daemon.root, client };
}

const git = (root: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: root, stdio: 'pipe' });

describe('a file an apply moved into another folder, removed right after the apply answered', () => {
  it('is missing at the next synced read, every time (rename and rm within one watcher window)', async () => {
    const { root, client } = await start();
    for (const from of SFX) {
      const to = `assets/audio/${path.basename(from, '.wav')}-moved.wav`;
      // A synced read first: its cookie's delivery puts the watcher in its batching window (a delivery less than
      // 500 ms ago), as `packer status` before `packer mv` did in the QA report.
      await client.call('snapshot.summary', { sync: true });
      const applied = await client.call('mutation.apply', { mutation: { type: 'move', from, to } });
      rmSync(path.join(root, to));
      const { asset } = await client.call('assets.get', { ref: to, sync: true });
      expect({ path: asset.path, status: asset.status, onDisk: existsSync(path.join(root, to)) }).toEqual({
        path: to,
        status: 'missing',
        onDisk: false,
      });
      expect(applied.revisionAfter).toBeGreaterThan(applied.revisionBefore);
    }
    const { summary } = await client.call('snapshot.summary', { sync: true });
    expect({ missing: summary.missing, untracked: summary.untracked }).toEqual({ missing: SFX.length, untracked: 0 });
  });

  it('is reported missing to subscribers without any synced read, once the watcher delivery window has passed', async () => {
    const { root, client } = await start();
    const recorder = new StreamRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const from = SFX[0]!;
    const to = 'assets/audio/jump-moved.wav';
    await client.call('snapshot.summary', { sync: true });
    const applied = await client.call('mutation.apply', { mutation: { type: 'move', from, to } });
    rmSync(path.join(root, to));
    const completed = await recorder.waitFor(
      (event) => event.operationId === applied.operationId && event.type === 'completed',
      'the move completed',
    );
    // What Studio and `packer top` follow: a divergence event naming the file, with no read asking for it.
    await recorder.waitFor(
      (event) =>
        seqOf(event) > seqOf(completed) &&
        event.type === 'divergence.detected' &&
        (event.payload as { added: { path?: string }[] }).added.some((entry) => entry.path === to),
      `divergence.detected naming ${to}`,
      RECHECK_AFTER_MS + 9_000,
    );
    const { asset } = await client.call('assets.get', { ref: to });
    expect(asset.status).toBe('missing');
  });

  it('after `git stash -u` took the move back, no untracked file is left that does not exist', async () => {
    const { root, client } = await start();
    writeFileSync(path.join(root, '.gitignore'), '.packer/\n');
    git(root, 'init', '-q', '.');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'init');
    for (const from of SFX) {
      const to = `assets/audio/${path.basename(from, '.wav')}-moved.wav`;
      await client.call('snapshot.summary', { sync: true });
      await client.call('mutation.apply', { mutation: { type: 'move', from, to } });
      git(root, 'stash', '-u', '-q');
      const untracked = await client.call('assets.list', { status: 'untracked', sync: true });
      expect(untracked.items.map((file) => file.path)).toEqual([]);
      expect(existsSync(path.join(root, to))).toBe(false);
      const { asset } = await client.call('assets.get', { ref: from, sync: true });
      expect({ path: asset.path, status: asset.status }).toEqual({ path: from, status: 'present' });
      git(root, 'stash', 'drop', '-q');
    }
  });
});
