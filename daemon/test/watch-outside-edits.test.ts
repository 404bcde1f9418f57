import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { DivergenceEntry, EventEnvelope } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { seqOf, StreamRecorder } from './support/event-stream.js';
import { waitUntil } from './support/wait-until.js';

let daemon: DaemonProcess | undefined;
let client: DaemonClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

const BACKENDS = [
  { backend: 'fs-watch', env: {} },
  { backend: 'parcel', env: { PACKER_WATCHER: 'parcel' } },
  { backend: 'chokidar', env: { PACKER_WATCHER: 'chokidar' } },
];

/** utime + stime of a process, in clock ticks (10 ms on Linux), threads included. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe.each(BACKENDS)('watching with $backend', ({ backend, env }) => {
  async function start(): Promise<{ root: string; client: DaemonClient; recorder: StreamRecorder }> {
    daemon = await startDaemon({ env });
    client = await connectClient(daemon.root, `watch-${backend}`);
    const recorder = new StreamRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    return { root: daemon.root, client, recorder };
  }

  /** The first event after `mark` of `type` whose payload passes `match`. */
  function next<P>(
    recorder: StreamRecorder,
    mark: string,
    type: EventEnvelope['type'],
    match: (payload: P) => boolean = () => true,
  ): Promise<EventEnvelope> {
    return recorder.waitFor(
      (event) => seqOf(event) > seqOf(mark) && event.type === type && match(event.payload as P),
      `${type} after ${mark}`,
    );
  }

  /** A `divergence.detected` payload that lists an entry with these fields. */
  const lists = (entry: DivergenceEntry) => (payload: { added: DivergenceEntry[] }) =>
    payload.added.some((item) => isDeepStrictEqual(item, entry));

  it('reports its backend as healthy, and shows files deleted, added, renamed and edited outside the packer as divergence', async () => {
    const { root, client, recorder } = await start();
    const health = await client.call('daemon.health', {});
    expect(health.watcher).toEqual({ backend, state: 'ok' });
    const before = await client.call('snapshot.get', {});
    const idOf = (assetPath: string) => before.assets.find((asset) => asset.path === assetPath)!.id;
    let mark = client.hello.cursor;

    // Deleted: the asset goes missing.
    rmSync(path.join(root, 'assets/sprites/items/heart.png'));
    const missing = await next(
      recorder,
      mark,
      'divergence.detected',
      lists({
        type: 'missing',
        assetId: idOf('assets/sprites/items/heart.png'),
        path: 'assets/sprites/items/heart.png',
      }),
    );
    const changed = recorder.events.find((event) => event.type === 'snapshot.changed' && seqOf(event) > seqOf(mark))!;
    expect(seqOf(changed)).toBeLessThan(seqOf(missing));
    expect((missing.payload as { revision: number }).revision).toBe((changed.payload as { revision: number }).revision);
    let snapshot = await client.call('snapshot.get', {});
    expect(snapshot.assets.find((asset) => asset.path === 'assets/sprites/items/heart.png')?.status).toBe('missing');
    expect(snapshot.summary.missing).toBe(1);
    mark = missing.cursor;

    // Added: an untracked file.
    writeFileSync(path.join(root, 'assets/sprites/items/shield.png'), Buffer.from('not really a png, but new content'));
    mark = (
      await next(
        recorder,
        mark,
        'divergence.detected',
        lists({ type: 'untracked', path: 'assets/sprites/items/shield.png' }),
      )
    ).cursor;
    snapshot = await client.call('snapshot.get', {});
    expect(snapshot.untracked.map((file) => file.path)).toContain('assets/sprites/items/shield.png');
    expect(snapshot.summary.untracked).toBe(snapshot.untracked.length);

    // Renamed: the asset's content now sits elsewhere, so it reads as moved.
    renameSync(path.join(root, 'assets/audio/sfx/hit.wav'), path.join(root, 'assets/audio/sfx/hit-renamed.wav'));
    const moved = {
      type: 'moved',
      assetId: idOf('assets/audio/sfx/hit.wav'),
      from: 'assets/audio/sfx/hit.wav',
      to: 'assets/audio/sfx/hit-renamed.wav',
    } as const;
    mark = (await next(recorder, mark, 'divergence.detected', lists(moved))).cursor;
    snapshot = await client.call('snapshot.get', {});
    expect(snapshot.divergence).toContainEqual(moved);
    expect(snapshot.divergence).toContainEqual({
      type: 'missing',
      assetId: idOf('assets/sprites/items/heart.png'),
      path: 'assets/sprites/items/heart.png',
    });

    // Edited: a new observation and revision, but no divergence.
    const edited = 'assets/data/items.json';
    const oldSize = snapshot.assets.find((asset) => asset.path === edited)!.observation!.size;
    writeFileSync(
      path.join(root, edited),
      JSON.stringify({ items: ['sword', 'shield', 'a much longer list than before'] }, null, 2),
    );
    const revision = snapshot.revision;
    await next(recorder, mark, 'snapshot.changed', (payload: { revision: number }) => payload.revision > revision);
    snapshot = await client.call('snapshot.get', {});
    const asset = snapshot.assets.find((item) => item.path === edited)!;
    expect(asset.status).toBe('present');
    expect(asset.observation!.size).not.toBe(oldSize);
    expect(snapshot.divergence.some((entry) => 'path' in entry && entry.path === edited)).toBe(false);
    expect(recorder.between(mark).filter((event) => event.type === 'divergence.detected')).toEqual([]);
  });

  it('does not report its own apply as divergence', async () => {
    const { root, client, recorder } = await start();
    const mark = client.hello.cursor;
    const result = await client.call('mutation.apply', {
      mutation: { type: 'move', from: 'assets/sprites/enemies', to: 'assets/sprites/foes' },
    });
    expect((await recorder.terminalOf(result.operationId)).type).toBe('completed');
    // A synced read returns only once the watcher has delivered (and the daemon rescanned) every change made before it.
    const snapshot = await client.call('snapshot.get', { sync: true });
    expect(readdirSync(path.join(root, 'assets/sprites/foes')).sort()).toEqual([
      'bat.png',
      'boss.png',
      'skeleton.png',
      'slime.png',
    ]);
    expect(snapshot.divergence).toEqual([]);
    expect(snapshot.revision).toBe(result.revisionAfter);
    const since = recorder.between(mark);
    expect(since.filter((event) => event.type.startsWith('divergence.'))).toEqual([]);
    expect(since.filter((event) => event.type === 'snapshot.changed').map((event) => event.payload)).toEqual([
      { revision: result.revisionAfter, previousRevision: result.revisionBefore, cause: 'move' },
    ]);
  });

  it('shows a file removed just before a synced read as missing, 20 times in a row', async () => {
    const { root, client } = await start();
    const assets = (await client.call('assets.list', { status: 'present', limit: 20 })).items;
    expect(assets).toHaveLength(20);
    for (const [index, asset] of assets.entries()) {
      rmSync(path.join(root, asset.path));
      const summary = await client.call('snapshot.summary', { sync: true });
      expect(summary.summary.missing).toBe(index + 1);
      expect((await client.call('divergence.list', { limit: 5000 })).items).toContainEqual({
        type: 'missing',
        assetId: (asset as { id: string }).id,
        path: asset.path,
      });
    }
  });

  it('makes a synced read wait for a change that arrives while an earlier rescan is still hashing', async () => {
    const { root, client } = await start();
    const pid = daemon!.pid;
    const threads = () => readdirSync(`/proc/${pid}/task`).length;
    const idle = threads();
    // A registered file grown to 256 MiB: its rescan hashes on a worker thread for a good part of a second.
    truncateSync(path.join(root, 'assets/bin/save-template.bin'), 256 << 20);
    await waitUntil(() => threads() > idle, 'the daemon to start hashing on a worker thread', 15_000, 2);
    // While that rescan runs, a file goes and a synced read asks: its cookie arrives in the same batch as the delete.
    rmSync(path.join(root, 'assets/text/credits.md'));
    const { asset } = await client.call('assets.get', { ref: 'assets/text/credits.md', sync: true });
    expect(asset.status).toBe('missing');
    const grown = await client.call('assets.get', { ref: 'assets/bin/save-template.bin', sync: true });
    expect(grown.asset.observation?.size).toBe(256 << 20);
  });

  it('holds changes while .git/index.lock exists, then settles them in one rescan', async () => {
    const { root, client, recorder } = await start();
    const mark = client.hello.cursor;
    const gone = (await client.call('assets.list', { kind: 'image', status: 'present', limit: 5 })).items.map(
      (item) => item.path,
    );
    mkdirSync(path.join(root, '.git'));
    writeFileSync(path.join(root, '.git/index.lock'), '');
    for (const file of gone) rmSync(path.join(root, file));

    let settled = false;
    const read = client.call('snapshot.summary', { sync: true }).finally(() => (settled = true));
    // The daemon has taken the read once its cookie file is on disk.
    const cookie = () => readdirSync(path.join(root, 'assets')).some((name) => name.startsWith('.packer-cookie-'));
    await waitUntil(cookie, 'the synced read wrote its cookie');
    // Health names the lock once the watcher's batch is held for it: from then on the read cannot be answered.
    await waitUntil(
      async () => (await client.call('daemon.health', {})).watcher.heldBy === '.git/index.lock',
      'the daemon holds the changes for the git lock',
    );
    expect(settled).toBe(false);
    const held = await client.call('snapshot.summary', {});
    expect(held.summary.missing).toBe(0);

    rmSync(path.join(root, '.git/index.lock'));
    const summary = await read;
    expect(summary.summary.missing, `divergence: ${summary.summary.divergence}`).toBe(5);
    await client.call('snapshot.summary', { sync: true });
    const detected = recorder.between(mark).filter((event) => event.type === 'divergence.detected');
    expect(detected).toHaveLength(1);
    const entries = (detected[0]!.payload as { added: DivergenceEntry[] }).added;
    expect(entries.map((entry) => (entry as { path: string }).path).sort()).toEqual([...gone].sort());
    expect(entries.every((entry) => entry.type === 'missing')).toBe(true);
    expect(cookie()).toBe(false);
  });

  it('keeps the last good config while packer.json is invalid, and reloads it once fixed', async () => {
    const { root, client, recorder } = await start();
    const configFile = path.join(root, 'packer.json');
    const good = readFileSync(configFile, 'utf8');
    let mark = client.hello.cursor;

    writeFileSync(configFile, '{ "name": "sample-game", "assetRoots": [');
    const invalid = await next(recorder, mark, 'config.invalid');
    expect((invalid.payload as { error: { code: string } }).error.code).toBe('INVALID_CONFIG');
    mark = invalid.cursor;
    const snapshot = await client.call('snapshot.get', { sync: true });
    expect(snapshot.assets).toHaveLength(45);
    expect(snapshot.diagnostics.map((item) => item.code)).toContain('INVALID_CONFIG');
    // The last good config still decides what is ignored: its `**/*.tmp` rule keeps this file out.
    writeFileSync(path.join(root, 'assets/data/scratch.tmp'), 'ignored');
    expect((await client.call('snapshot.get', { sync: true })).untracked.map((file) => file.path)).not.toContain(
      'assets/data/scratch.tmp',
    );

    writeFileSync(configFile, good);
    const reloaded = await next(recorder, mark, 'config.reloaded');
    const after = await client.call('snapshot.get', {});
    expect(after.revision).toBeGreaterThanOrEqual((reloaded.payload as { revision: number }).revision);
    expect(after.diagnostics.map((item) => item.code)).not.toContain('INVALID_CONFIG');
    expect(after.assets).toHaveLength(45);
  });

  it('a packer.json edit that walks the same files, made with files added and removed, shows all of it', async () => {
    // The reload keeps the watcher's scan (no walk): the files changed beside it must still come in through it.
    const { root, client, recorder } = await start();
    const configFile = path.join(root, 'packer.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { packs: { name: string }[] };
    const before = await client.call('snapshot.get', { sync: true });
    const removed = before.assets[0]!.path;
    const mark = client.hello.cursor;
    writeFileSync(
      configFile,
      JSON.stringify({ ...config, packs: [...config.packs, { name: 'extra', include: ['**'] }] }),
    );
    writeFileSync(path.join(root, 'assets/data/added-with-config.json'), '{"added": true}');
    rmSync(path.join(root, removed));
    await next(recorder, mark, 'config.reloaded');
    const after = await client.call('snapshot.get', { sync: true });
    expect(after.untracked.map((file) => file.path)).toContain('assets/data/added-with-config.json');
    expect(after.summary.missing).toBe(before.summary.missing + 1);
    expect(after.diagnostics.map((item) => item.code)).not.toContain('INVALID_CONFIG');
    expect((await client.call('packs.list', {})).items.map((pack) => pack.name)).toContain('extra');
  });

  it('uses next to no CPU while it only waits on the watcher', async () => {
    const { client } = await start();
    await client.call('snapshot.summary', { sync: true });
    const pid = daemon!.pid;
    // The window is bounded by requests, not by a timer: each synced read waits for the watcher to deliver a cookie.
    const cpuBefore = cpuTicks(pid);
    const wallBefore = performance.now();
    for (let round = 0; round < 8; round++) {
      expect((await client.call('daemon.health', {})).watcher.state).toBe('ok');
      await client.call('snapshot.summary', { sync: true });
    }
    const wallMs = performance.now() - wallBefore;
    const cpuMs = (cpuTicks(pid) - cpuBefore) * 10;
    // A busy loop would burn about the whole window; answering 16 requests costs a few ticks.
    expect(cpuMs, `daemon used ${cpuMs} ms of CPU in ${Math.round(wallMs)} ms`).toBeLessThan(
      Math.max(100, wallMs * 0.25),
    );
  });
});
