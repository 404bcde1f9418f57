import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCursor, PackerError } from '@packer/core/contract/runtime';
import {
  longOperation,
  startDaemon,
  stopDaemon,
  type DaemonProcess,
} from '../../daemon/test/support/daemon-harness.js';
import {
  connectProject,
  mutationPreviewPanel,
  type ActivityFeed,
  type ActivityRow,
  type NavigatorAssetRow,
  type StudioSession,
} from '../src/index.js';
import { recordEvents, TERMINAL, until } from './support/session-waits.js';

let daemon: DaemonProcess | undefined;
let session: StudioSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

async function open(): Promise<StudioSession> {
  daemon = await startDaemon();
  // autoStart off: the test owns the daemon's lifetime (and restarts it itself).
  session = await connectProject(daemon.root, { client: 'studio-test', autoStart: false });
  return session;
}

function assetRow(current: StudioSession, assetId: string): NavigatorAssetRow | undefined {
  return current.navigator().find((row): row is NavigatorAssetRow => row.type === 'asset' && row.assetId === assetId);
}

function rowOf(current: StudioSession, operationId: string): ActivityRow | undefined {
  return current.activity.rows.find((row) => row.operationId === operationId);
}

describe('studio session against a real daemon', () => {
  it('follows a file deleted outside the packer: stale state and a missing badge', async () => {
    const current = await open();
    expect(current.state).toBe('ready');
    const bat = current.snapshot!.assets.find((asset) => asset.path === 'assets/sprites/enemies/bat.png')!;
    expect(assetRow(current, bat.id)?.badges).not.toContain('missing');

    rmSync(path.join(daemon!.root, bat.path));
    await until(
      current,
      () => current.state === 'stale' && (assetRow(current, bat.id)?.badges.includes('missing') ?? false),
      'stale state and missing badge',
    );

    const row = assetRow(current, bat.id)!;
    expect(row.status).toBe('missing');
    expect(row.severity).toBe(current.snapshot!.assets.find((asset) => asset.id === bat.id)!.worstSeverity);
    expect(current.summary!.summary.divergence).toBeGreaterThan(0);
  });

  it('previews a move exactly as planned, applies it, and the navigator shows the new path with the same id', async () => {
    const current = await open();
    const from = 'assets/sprites/enemies/bat.png';
    const to = 'assets/sprites/bat.png';
    const id = current.snapshot!.assets.find((asset) => asset.path === from)!.id;

    const plan = await current.previewMutation({ type: 'move', from, to });
    const panel = mutationPreviewPanel(plan);
    expect(panel.baseRevision).toBe(plan.baseRevision);
    expect(panel.blocked).toBe(false);
    expect(panel.blockers).toEqual([]);
    expect(panel.warnings.map((row) => row.code)).toEqual(plan.warnings.map((warning) => warning.code));
    expect(panel.registryRows.map((row) => row.planned)).toEqual(plan.registryMutations);
    expect(panel.filesystemRows.map((row) => row.planned)).toEqual(plan.filesystemMutations);
    expect(panel.filesystemRows.map(({ op, path: rowPath, to: rowTo }) => ({ op, path: rowPath, to: rowTo }))).toEqual([
      { op: 'move', path: from, to },
    ]);
    expect(
      panel.registryRows.map(({ op, assetId, path: rowPath, previousPath }) => ({
        op,
        assetId,
        path: rowPath,
        previousPath,
      })),
    ).toEqual([{ op: 'update', assetId: id, path: to, previousPath: from }]);

    const result = await current.applyPreview(plan);
    await current.whenRevision(result.revisionAfter);
    const moved = assetRow(current, id)!;
    expect(moved.path).toBe(to);
    expect(moved.key).toBe(`asset:${id}`);
    expect(current.navigator().some((row) => row.path === from)).toBe(false);
    await until(current, () => rowOf(current, result.operationId)?.status === 'completed', 'the move to complete');
    expect(rowOf(current, result.operationId)!.outcome).toMatchObject({
      type: 'completed',
      revisionAfter: result.revisionAfter,
    });

    // The same plan again: a plan id is applied once, and the packer says so.
    const again = await current.applyPreview(plan).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(PackerError);
    expect((again as PackerError).code).toBe('PLAN_EXPIRED');
    expect((again as PackerError<'PLAN_EXPIRED'>).data.reason).toBe('applied');
    // A blocked plan: the packer's blockers, and apply refuses with BLOCKED.
    const blockedPlan = await current.previewMutation({
      type: 'move',
      from: to,
      to: 'assets/sprites/enemies/slime.png',
    });
    expect(mutationPreviewPanel(blockedPlan).blockers.map((row) => row.code)).toEqual(
      blockedPlan.blockers.map((blocker) => blocker.code),
    );
    expect(blockedPlan.blockers.length).toBeGreaterThan(0);
    const blocked = await current.applyPreview(blockedPlan).catch((error: unknown) => error);
    expect((blocked as PackerError).code).toBe('BLOCKED');
  });

  it("shows a long operation's activity row progressing to completed, outcome only from its terminal event", async () => {
    const current = await open();
    const events = recordEvents(current);
    // Feeds are immutable values: keep each one, and pick the operation's row out once its id is known
    // (its first events may arrive before the answer that names it).
    const feeds: ActivityFeed[] = [];
    current.on('activity', (feed) => feeds.push(feed));
    const operationId = await longOperation(daemon!.root, { progressEvents: 2000 });
    await until(current, () => rowOf(current, operationId)?.status === 'completed', 'the operation to complete');
    const seen = feeds
      .map((feed) => feed.rows.find((row) => row.operationId === operationId))
      .filter((row) => row !== undefined);
    expect(new Set(seen).size).toBe(seen.length);

    const terminalAt = events.findIndex((event) => event.operationId === operationId && TERMINAL.includes(event.type));
    expect(events[terminalAt]!.type).toBe('completed');
    const order = ['queued', 'running', 'completed'];
    const statuses = seen.map((row) => row.status);
    expect(
      statuses.every((status, index) => index === 0 || order.indexOf(status) >= order.indexOf(statuses[index - 1]!)),
    ).toBe(true);
    expect(statuses.filter((status) => status === 'completed')).toHaveLength(1);
    expect(seen.filter((row) => row.outcome !== undefined)).toHaveLength(1);
    const progress = seen.filter((row) => row.status === 'running' && row.progress).map((row) => row.progress!.done);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((done, index) => index === 0 || done >= progress[index - 1]!)).toBe(true);
    const final = rowOf(current, operationId)!;
    expect(final.progress).toMatchObject({ done: 2000, total: 2000, fraction: 1 });
    expect(final.outcome).toMatchObject({ type: 'completed', result: { progressEvents: 2000 } });
  });

  it("shows a real build's activity row progressing to completed", async () => {
    const current = await open();
    const { operationId } = await current.startBuild({});
    await until(
      current,
      () => ['completed', 'failed', 'cancelled'].includes(rowOf(current, operationId)?.status ?? ''),
      'the build to end',
      60_000,
    );
    const row = rowOf(current, operationId)!;
    expect(row.kind).toBe('build');
    expect(row.status).toBe('completed');
    expect(row.outcome?.type).toBe('completed');
    expect(row.progress?.done).toBeGreaterThan(0);
  }, 90_000);

  it('reconnects after the daemon restarts without losing or doubling an event', async () => {
    const current = await open();
    const root = daemon!.root;
    const events = recordEvents(current);
    const states: string[] = [];
    current.on('state', (state) => states.push(state));
    const terminalOf = (id: string) =>
      events.filter((event) => event.operationId === id && TERMINAL.includes(event.type));
    const start = (params: { progressEvents: number; holdUntilCancelled?: boolean }) => longOperation(root, params);

    const before = await start({ progressEvents: 300 });
    await until(current, () => terminalOf(before).length > 0, 'the first operation to end');
    // Still running when the daemon is stopped: the daemon cancels it, and its terminal event must reach us once.
    const interrupted = await start({ progressEvents: 10, holdUntilCancelled: true });
    await until(
      current,
      () => events.some((event) => event.operationId === interrupted && event.type === 'progress'),
      'the held operation to run',
    );

    await stopDaemon(daemon!, { keepRoot: true });
    daemon = undefined;
    await until(current, () => current.state === 'reconnecting', 'the session to notice the restart');
    daemon = await startDaemon({ root });
    await until(current, () => current.state === 'ready', 'the session to be ready again');
    const after = await start({ progressEvents: 300 });
    await until(
      current,
      () => terminalOf(after).length > 0 && terminalOf(interrupted).length > 0,
      'every operation to end',
    );

    const seqs = events.map((event) => parseCursor(event.cursor).seq);
    expect(seqs.every((seq, index) => index === 0 || seq > seqs[index - 1]!)).toBe(true);
    const generations = new Set(events.map((event) => parseCursor(event.cursor).generation));
    expect(generations.size).toBe(2);
    const operations = new Set(events.filter((event) => event.type === 'queued').map((event) => event.operationId!));
    expect(operations).toEqual(new Set([before, interrupted, after]));
    for (const id of operations) expect(terminalOf(id), `terminal events of ${id}`).toHaveLength(1);
    expect(terminalOf(interrupted)[0]!.type).toBe('cancelled');
    expect(states).toContain('reconnecting');
    expect(rowOf(current, before)!.status).toBe('completed');
    expect(rowOf(current, interrupted)!.status).toBe('cancelled');
    expect(rowOf(current, after)!.status).toBe('completed');
  }, 60_000);
});
