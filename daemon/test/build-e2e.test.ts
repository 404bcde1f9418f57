import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BuildReport } from '@packer/core/contract';
import { connectClient, EventRecorder, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';

let daemon: DaemonProcess | undefined;
afterEach(async () => {
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

const PACKS = ['audio', 'backgrounds', 'core', 'level1', 'sprites', 'ui'];

describe('builds through the daemon', () => {
  it('runs a build as a lane operation with per-asset progress and a report, then answers pack reads', async () => {
    daemon = await startDaemon();
    const client = await connectClient(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    const { operationId } = await client.call('build.start', {});
    const terminal = await recorder.terminalOf(operationId);
    expect(terminal.type).toBe('completed');
    const report = (terminal.payload as { result: BuildReport }).result;
    expect(report.counts).toEqual({ processed: 45, cached: 0, failed: 0 });
    expect(report.packs.map((pack) => pack.status)).toEqual(Array(6).fill('written'));

    const events = recorder.events.filter((event) => event.operationId === operationId);
    expect(events[0]!.type).toBe('queued');
    expect(events[1]!.type).toBe('started');
    const progress = events
      .filter((event) => event.type === 'progress')
      .map(
        (event) =>
          event.payload as {
            done: number;
            total: number;
            bytes: number;
            current?: string;
            counts: Record<string, number>;
          },
      );
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((item) => item.done)).toEqual([...progress.map((item) => item.done)].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({
      done: 45,
      total: 45,
      bytes: report.inputBytes,
      counts: { processed: 45, cached: 0, failed: 0 },
    });
    expect(progress.some((item) => item.current?.startsWith('assets/'))).toBe(true);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));

    const summary = await client.call('snapshot.summary', {});
    expect(summary.revision).toBe(report.revisionAfter);
    expect(summary.lastBuilds.map((build) => build.pack)).toEqual(PACKS);
    for (const pack of report.packs)
      expect(summary.lastBuilds.find((build) => build.pack === pack.pack)?.digest).toBe(pack.digest);

    const list = await client.call('packs.list', {});
    expect(list.buildDir).toBe('build');
    // Content-addressed pack files, named by their manifests: `<name>.<first 16 hex of the digest>.pack`.
    const fileOf = (name: string) =>
      `build/${name}.${report.packs.find((pack) => pack.pack === name)!.digest!.slice(0, 16)}.pack`;
    expect(list.items.map((item) => [item.name, item.exists, item.file])).toEqual(
      report.packs.map((pack) => [pack.pack, true, fileOf(pack.pack)]),
    );
    expect(report.packs.map((pack) => pack.file)).toEqual(report.packs.map((pack) => fileOf(pack.pack)));
    const entries = await client.call('packs.entries', { pack: 'sprites', limit: 10 });
    expect(entries).toMatchObject({ pack: 'sprites', file: fileOf('sprites'), total: 17 });
    expect(entries.items).toHaveLength(10);
    const rest = await client.call('packs.entries', { pack: 'sprites', page: entries.nextPage! });
    expect(rest.items).toHaveLength(7);
    expect(rest.nextPage).toBeUndefined();
    expect([...entries.items, ...rest.items].every((entry) => typeof entry.metadata.width === 'number')).toBe(true);
    expect(await client.call('packs.verify', { pack: 'core' })).toMatchObject({ ok: true, pack: 'core', entries: 15 });
    // A path works too: the pack file itself, or `<name>.pack`, which stands for the file the manifest names.
    expect(await client.call('packs.verify', { pack: fileOf('audio') })).toMatchObject({
      ok: true,
      pack: 'audio',
      file: fileOf('audio'),
    });
    expect(await client.call('packs.verify', { pack: 'build/audio.pack' })).toMatchObject({
      ok: true,
      pack: 'audio',
      file: fileOf('audio'),
    });
    await expect(client.call('packs.verify', { pack: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.call('build.start', { packs: ['nope'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // A flipped byte is reported with the entry it hit.
    const file = path.join(daemon.root, fileOf('core'));
    const bytes = readFileSync(file);
    const third = (await client.call('packs.entries', { pack: 'core' })).items[2]!;
    bytes[third.offset + 1]! ^= 0x40;
    writeFileSync(file, bytes);
    expect(await client.call('packs.verify', { pack: 'core' })).toMatchObject({
      ok: false,
      problem: { section: 'entry', entry: { id: third.id, name: third.name } },
    });
    await client.close();
  });

  it('processes nothing on a no-change rebuild or an mtime touch, and exactly one file after one edit', async () => {
    daemon = await startDaemon();
    const client = await connectClient(daemon.root);
    const first = await client.call('build.run', {});
    expect(first.report.counts).toEqual({ processed: 45, cached: 0, failed: 0 });
    const second = await client.call('build.run', {});
    expect(second.report.counts).toEqual({ processed: 0, cached: 45, failed: 0 });
    expect(second.report.packs.every((pack) => pack.status === 'unchanged')).toBe(true);

    const target = path.join(daemon.root, 'assets/text/how-to-play.md');
    const later = new Date(Date.now() + 120_000);
    utimesSync(target, later, later);
    const touched = await client.call('build.run', {});
    expect(touched.report.counts).toEqual({ processed: 0, cached: 45, failed: 0 });

    writeFileSync(target, `${readFileSync(target, 'utf8')}\r\nOne more line.\r\n`);
    const edited = await client.call('build.run', {});
    expect(edited.report.counts).toEqual({ processed: 1, cached: 44, failed: 0 });
    expect(edited.report.packs.filter((pack) => pack.status === 'written').map((pack) => pack.pack)).toEqual(['core']);
    await client.close();
  });

  it('refuses a blocked build before writing anything, with the blockers in the failed event', async () => {
    daemon = await startDaemon();
    const client = await connectClient(daemon.root);
    const recorder = new EventRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });
    rmSync(path.join(daemon.root, 'assets/audio/sfx/jump.wav'));
    const preview = await client.call('build.preview', {});
    expect(preview.blockers.map((item) => item.code)).toContain('MISSING_FILE');
    const error = (await client.call('build.run', {}).catch((caught: unknown) => caught)) as {
      code: string;
      data: { operationId: string; blockers: { code: string }[] };
    };
    expect(error).toMatchObject({ code: 'BLOCKED' });
    expect(error.data.blockers.map((item) => item.code)).toContain('MISSING_FILE');
    const terminal = await recorder.terminalOf(error.data.operationId);
    expect(terminal.type).toBe('failed');
    expect((terminal.payload as { error: { code: string; data: { blockers: unknown[] } } }).error).toMatchObject({
      code: 'BLOCKED',
      data: { blockers: expect.any(Array) },
    });
    expect(existsSync(path.join(daemon.root, 'build'))).toBe(false);
    await client.close();
  });

  it('shows the last builds again after a daemon restart', async () => {
    daemon = await startDaemon();
    let client = await connectClient(daemon.root);
    const { report } = await client.call('build.run', { packs: ['core', 'audio'] });
    await client.close();
    const root = daemon.root;
    await stopDaemon(daemon, { keepRoot: true });
    daemon = await startDaemon({ root });
    client = await connectClient(root);
    const builds = (await client.call('snapshot.summary', {})).lastBuilds;
    expect(builds.map((build) => [build.pack, build.digest])).toEqual([
      ['audio', report.packs.find((pack) => pack.pack === 'audio')!.digest],
      ['core', report.packs.find((pack) => pack.pack === 'core')!.digest],
    ]);
    await client.close();
  });
});
