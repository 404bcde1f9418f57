import { afterEach, describe, expect, it } from 'vitest';
import { Snapshot } from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import { connectClient, longOperation, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { seqOf, StreamRecorder } from './support/event-stream.js';

let daemon: DaemonProcess | undefined;
const clients: DaemonClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

async function connect(root: string, name: string): Promise<DaemonClient> {
  const client = await connectClient(root, name);
  clients.push(client);
  return client;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Drops zero counts, so `{ present: 45, missing: 0 }` compares equal to a recount that never saw a missing asset. */
function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count !== 0));
}

const ENEMIES = ['bat.png', 'boss.png', 'skeleton.png', 'slime.png'];
const FOLDERS = ['assets/sprites/enemies', 'assets/sprites/foes'];

describe('reads while the lane writes', () => {
  it('never sees a torn snapshot: every read parses, its counts match its arrays, revisions never go back, a folder moves all at once', async () => {
    daemon = await startDaemon();
    const { root } = daemon;
    const mover = await connect(root, 'mover');
    const tagger = await connect(root, 'tagger');
    const readers = [await connect(root, 'reader-1'), await connect(root, 'reader-2')];

    const start = await mover.call('snapshot.get', {});
    const enemyIds = start.assets
      .filter((asset) => asset.path.startsWith(`${FOLDERS[0]}/`))
      .map((asset) => asset.id)
      .sort();
    expect(enemyIds).toHaveLength(ENEMIES.length);

    let writing = true;
    const seenRevisions = new Set<number>();
    const seenFolders = new Set<string>();
    const read = async (reader: DaemonClient): Promise<number> => {
      let reads = 0;
      let previous = -1;
      while (writing || reads === 0) {
        const raw = await reader.call('snapshot.get', {});
        const snapshot = Snapshot.parse(raw);
        reads += 1;
        expect(snapshot.revision).toBeGreaterThanOrEqual(previous);
        previous = snapshot.revision;
        seenRevisions.add(snapshot.revision);

        const { summary } = snapshot;
        expect(summary.assets).toBe(snapshot.assets.length);
        expect(nonZero(summary.byStatus)).toEqual(countBy(snapshot.assets, (asset) => asset.status));
        expect(nonZero(summary.byKind)).toEqual(countBy(snapshot.assets, (asset) => asset.kind));
        expect(summary.missing).toBe(snapshot.assets.filter((asset) => asset.status === 'missing').length);
        expect(summary.untracked).toBe(snapshot.untracked.length);
        expect(summary.divergence).toBe(snapshot.divergence.length);
        // The packer's own moves never read as divergence, not even half-way through a commit.
        expect(summary.missing).toBe(0);
        expect(snapshot.divergence).toEqual([]);

        const enemies = snapshot.assets.filter((asset) => enemyIds.includes(asset.id));
        expect(enemies).toHaveLength(ENEMIES.length);
        const folders = new Set(enemies.map((asset) => asset.path.slice(0, asset.path.lastIndexOf('/'))));
        expect(
          folders.size,
          `enemies split across ${[...folders].join(' and ')} at revision ${snapshot.revision}`,
        ).toBe(1);
        const folder = [...folders][0]!;
        expect(FOLDERS).toContain(folder);
        expect(enemies.map((asset) => asset.path).sort()).toEqual(ENEMIES.map((name) => `${folder}/${name}`));
        seenFolders.add(folder);
      }
      return reads;
    };

    const write = async (): Promise<void> => {
      try {
        const moves = Array.from({ length: 24 }, (_, round) => ({
          type: 'move' as const,
          from: FOLDERS[round % 2]!,
          to: FOLDERS[(round + 1) % 2]!,
        }));
        const tags = (async () => {
          for (let round = 0; round < 24; round++) {
            await tagger.call('mutation.apply', {
              mutation: { type: 'update', target: 'assets/sprites/items/key.png', addTags: [`round-${round}`] },
            });
          }
        })();
        for (const mutation of moves) {
          const result = await mover.call('mutation.apply', { mutation });
          expect(result.plan.registryMutations).toHaveLength(ENEMIES.length);
        }
        await tags;
      } finally {
        writing = false;
      }
    };

    const [reads] = await Promise.all([Promise.all(readers.map(read)), write()]);
    expect(reads.every((count) => count > 0)).toBe(true);
    // The reads really did interleave with the commits.
    expect(seenRevisions.size).toBeGreaterThan(5);
    expect(seenFolders).toEqual(new Set(FOLDERS));
    const end = await mover.call('snapshot.get', { sync: true });
    expect(end.revision).toBeGreaterThanOrEqual(start.revision + 48);
    expect(end.divergence).toEqual([]);
  });

  it('answers reads at once while a long operation holds the lane, and a cancel ends it with `cancelled`', async () => {
    daemon = await startDaemon();
    const client = await connect(daemon.root, 'reader');
    const recorder = new StreamRecorder();
    await client.subscribe({ onEvent: recorder.onEvent });

    const operationId = await longOperation(daemon.root, { progressEvents: 3, holdUntilCancelled: true });
    await recorder.waitFor(
      (event) => event.operationId === operationId && event.type === 'started',
      'the long operation to start',
    );
    // An apply queued behind it waits for the lane...
    let applied = false;
    const apply = client
      .call('mutation.apply', {
        mutation: { type: 'update', target: 'assets/sprites/items/key.png', addTags: ['after-cancel'] },
      })
      .then((result) => {
        applied = true;
        return result;
      });
    const queued = await recorder.waitFor(
      (event) => event.type === 'queued' && event.operationId !== operationId,
      'the apply to queue',
    );
    const health = await client.call('daemon.health', {});
    expect(health.runningOperation).toBe(operationId);
    expect(health.laneDepth).toBe(2);

    // ...but reads, synced ones too, do not: the lane stays held until the cancel below, so they can only resolve by
    // not waiting for it.
    const snapshot = await client.call('snapshot.get', {});
    expect(snapshot.revision).toBe(health.revision);
    const synced = await client.call('snapshot.summary', { sync: true });
    expect(synced.revision).toBe(health.revision);
    const listed = await client.call('assets.list', { pathPrefix: 'assets/sprites/items' });
    expect(listed.revision).toBe(health.revision);
    expect(applied).toBe(false);
    expect((await client.call('operations.get', { operationId })).state).toBe('running');

    const cancel = await client.call('operations.cancel', { operationId });
    expect(cancel.operationId).toBe(operationId);
    const terminal = await recorder.terminalOf(operationId);
    expect(terminal.type).toBe('cancelled');
    expect(terminal.payload).toMatchObject({ kind: 'build' });
    const lifecycle = recorder.events.filter((event) => event.operationId === operationId);
    expect(lifecycle.map((event) => event.type)).toEqual([
      'queued',
      'started',
      'progress',
      'progress',
      'progress',
      'cancelled',
    ]);
    expect(lifecycle.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5, 6]);

    // Then the queued apply gets the lane.
    const result = await apply;
    expect(result.operationId).toBe(queued.operationId);
    expect(result.revisionBefore).toBe(health.revision);
    const started = await recorder.waitFor(
      (event) => event.operationId === queued.operationId && event.type === 'started',
      'the apply to start',
    );
    expect(seqOf(started)).toBeGreaterThan(seqOf(terminal));
    expect((await recorder.terminalOf(queued.operationId!)).type).toBe('completed');
    expect((await client.call('operations.get', { operationId })).state).toBe('cancelled');
  });
});
