import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { copyFixture } from '@packer/fixtures';
import {
  PackerError,
  RegistryFile,
  type ApplyResult,
  type EventEnvelope,
  type MutationInput,
  type RegistryEntry,
} from '@packer/core/contract';
import type { DaemonClient } from '@packer/client';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { byOperation, findGap, isTerminal, seqOf, StreamRecorder } from './support/event-stream.js';

const CLIENTS = 20;
const SUBSCRIBERS = 4;

let daemon: DaemonProcess | undefined;
const clients: DaemonClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

function readRegistry(root: string): RegistryEntry[] {
  return RegistryFile.parse(JSON.parse(readFileSync(path.join(root, 'packer.registry.json'), 'utf8'))).assets;
}

/** What the test compares of an entry: everything but the id, which keys the map. */
function comparable(entries: readonly RegistryEntry[]): Map<string, Omit<RegistryEntry, 'id'>> {
  return new Map(
    entries.map(({ id, path: entryPath, kind, tags, settings }) => [id, { path: entryPath, kind, tags, settings }]),
  );
}

interface Request {
  client: number;
  mutation: MutationInput;
  expectedRevision?: number;
  idempotencyKey?: string;
}

describe('many clients writing at once', () => {
  it('serialises conflicting applies in one lane, refuses the losers with typed errors, and every subscriber sees one gap-free stream', async () => {
    const root = await copyFixture('sample-game');
    const initial = readRegistry(root);
    daemon = await startDaemon({ root });
    for (let index = 0; index < CLIENTS + SUBSCRIBERS; index++)
      clients.push(await connectClient(root, `client-${index}`));
    const writers = clients.slice(0, CLIENTS);
    const watchers = clients.slice(CLIENTS);

    // Every subscriber starts from the same cursor, so their streams must be identical.
    const startCursor = watchers[0]!.hello.cursor;
    const recorders = watchers.map(() => new StreamRecorder());
    await Promise.all(
      watchers.map((client, index) => client.subscribe({ since: startCursor, onEvent: recorders[index]!.onEvent })),
    );

    const idOf = (assetPath: string): string => initial.find((entry) => entry.path === assetPath)!.id;
    const hot = ['assets/sprites/enemies/bat.png', 'assets/sprites/enemies/slime.png', 'assets/audio/sfx/coin.wav'];
    const levels = [
      'assets/data/levels/level1.json',
      'assets/data/levels/level2.json',
      'assets/data/levels/level3.json',
    ];
    const gem = idOf('assets/sprites/items/gem.png');
    const shared = await writers[0]!.call('mutation.preview', {
      mutation: { type: 'update', target: gem, addTags: ['shared-preview'] },
    });
    expect(shared.blockers).toEqual([]);

    const requests: Request[] = [];
    for (let client = 0; client < CLIENTS; client++) {
      const file = hot[client % hot.length]!;
      // By path: only the first move of each file finds it there; the rest are refused.
      requests.push({
        client,
        mutation: { type: 'move', from: file, to: `assets/contested/${client}/${path.posix.basename(file)}` },
      });
      // By id: every one of these moves the same asset again, wherever it is by then.
      if (client % 4 === 0)
        requests.push({
          client,
          mutation: { type: 'move', from: idOf(file), to: `assets/by-id/${client}-${path.posix.basename(file)}` },
        });
      // One target for three files: whichever runs first takes it.
      if (client % 5 === 0)
        requests.push({
          client,
          mutation: { type: 'move', from: levels[client % 3]!, to: 'assets/data/contested-level.json' },
        });
      requests.push({
        client,
        mutation: {
          type: 'update',
          target: client % 2 ? gem : 'assets/sprites/items/gem.png',
          addTags: [`t${client % 4}`, 'hot'],
          removeTags: client % 3 ? [] : ['hot', `t${(client + 1) % 4}`],
        },
      });
      if (client % 3 === 0) requests.push({ client, mutation: shared.mutation, expectedRevision: shared.baseRevision });
      if (client >= 16)
        requests.push({
          client,
          mutation: { type: 'update', target: 'assets/bin/navmesh.bin', addTags: ['once'] },
          idempotencyKey: 'same-key',
        });
    }

    const outcomes = await Promise.allSettled(
      requests.map((request) =>
        writers[request.client]!.call('mutation.apply', {
          mutation: request.mutation,
          ...(request.expectedRevision !== undefined ? { expectedRevision: request.expectedRevision } : {}),
          ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
        }),
      ),
    );

    // Every apply either committed or was refused with a typed error.
    const applied: ApplyResult[] = [];
    const refusals: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') applied.push(outcome.value);
      else {
        expect(outcome.reason).toBeInstanceOf(PackerError);
        refusals.push((outcome.reason as PackerError).code);
      }
    }
    expect(new Set(refusals)).toEqual(new Set(['BLOCKED', 'CONFLICT']));
    // Moves by path: exactly one per hot file wins; one level file takes the contested target.
    const byPathMoves = applied.filter(
      (result) => result.plan.mutation.type === 'move' && hot.includes((result.plan.mutation as { from: string }).from),
    );
    expect(byPathMoves).toHaveLength(hot.length);
    expect(
      applied.filter(
        (result) =>
          result.plan.mutation.type === 'move' && levels.includes((result.plan.mutation as { from: string }).from),
      ),
    ).toHaveLength(1);
    // The shared preview is good for at most one apply; the idempotency key commits once and replays after.
    const sharedApplies = requests.filter((request) => request.expectedRevision !== undefined).length;
    expect(refusals.filter((code) => code === 'CONFLICT').length).toBeGreaterThanOrEqual(sharedApplies - 1);
    const keyed = applied.filter((result) => JSON.stringify(result.plan.mutation).includes('"once"'));
    expect(keyed.map((result) => result.replayed).sort()).toEqual([false, true, true, true]);

    // Wait until every subscriber holds every operation's terminal event, then up to one common cursor.
    const terminals = (recorder: StreamRecorder) =>
      recorder.events.filter((event) => event.operationId !== undefined && isTerminal(event)).length;
    await Promise.all(
      recorders.map((recorder) =>
        recorder.waitFor(() => terminals(recorder) === requests.length, `${requests.length} terminal events`),
      ),
    );
    await writers[0]!.call('snapshot.summary', { sync: true });
    const probe = await writers[0]!.call('events.subscribe', {});
    await writers[0]!.call('events.unsubscribe', { subscriptionId: probe.subscriptionId });
    await Promise.all(recorders.map((recorder) => recorder.waitForCursor(probe.cursor)));

    const streams = recorders.map((recorder) => recorder.between(startCursor, probe.cursor));
    expect(findGap(streams[0]!, seqOf(startCursor))).toBeUndefined();
    expect(seqOf(streams[0]!.at(-1)!)).toBe(seqOf(probe.cursor));
    for (const stream of streams.slice(1)) expect(stream).toEqual(streams[0]);

    // The lane ran one operation at a time: queued < started < terminal, and no two started..terminal overlap.
    const stream = streams[0]!;
    const operations = [...byOperation(stream).values()];
    expect(operations).toHaveLength(requests.length);
    const spans = operations
      .map((events) => {
        expect(events.map((event) => event.type).slice(0, 2)).toEqual(['queued', 'started']);
        expect(events).toHaveLength(3);
        expect(isTerminal(events[2]!)).toBe(true);
        expect(events.map((event) => event.sequence)).toEqual([1, 2, 3]);
        return {
          operationId: events[0]!.operationId!,
          started: seqOf(events[1]!),
          ended: seqOf(events[2]!),
          terminal: events[2]!,
        };
      })
      .sort((a, b) => a.started - b.started);
    for (let index = 1; index < spans.length; index++)
      expect(spans[index]!.started).toBeGreaterThan(spans[index - 1]!.ended);

    // Terminal events agree with what the callers were told.
    const completed = spans.filter((span) => span.terminal.type === 'completed');
    const resultOf = (span: (typeof spans)[number]) => (span.terminal.payload as { result: ApplyResult }).result;
    const label = (result: ApplyResult) => `${result.operationId}:${result.replayed}`;
    expect(completed.map((span) => label(resultOf(span))).sort()).toEqual(applied.map(label).sort());
    // A replayed apply hands back the first result (and its operation id); every other result names its own operation.
    for (const span of completed)
      if (!resultOf(span).replayed) expect(resultOf(span).operationId).toBe(span.operationId);
    const failedCodes = spans
      .filter((span) => span.terminal.type === 'failed')
      .map((span) => (span.terminal.payload as { error: { code: string } }).error.code);
    expect(failedCodes.sort()).toEqual([...refusals].sort());
    // Revisions only go up along the lane (a replayed apply reports the first apply's revision).
    const revisions = completed
      .filter((span) => !resultOf(span).replayed)
      .map((span) => (span.terminal.payload as { revisionAfter: number }).revisionAfter);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));

    // The registry on disk is the initial one with every applied record's registry mutations replayed in order.
    const auditPage = await writers[0]!.call('audit.list', { limit: 1000 });
    expect(auditPage.total).toBe(auditPage.items.length);
    const audit = auditPage.items;
    const appliedRecords = audit.filter((record) => record.result === 'applied');
    expect(appliedRecords.map((record) => record.operationId)).toEqual(
      completed.filter((span) => !resultOf(span).replayed).map((span) => span.operationId),
    );
    expect(
      audit
        .filter((record) => record.result !== 'applied')
        .map((record) => (record.result === 'blocked' ? 'BLOCKED' : record.error?.code))
        .sort(),
    ).toEqual([...refusals].sort());
    const replayed = new Map(initial.map((entry) => [entry.id, entry]));
    for (const record of appliedRecords) {
      for (const change of record.registryMutations ?? []) {
        if (change.op === 'add') replayed.set(change.entry.id, change.entry);
        else if (change.op === 'remove') replayed.delete(change.entry.id);
        else {
          expect(replayed.get(change.before.id)).toEqual(change.before);
          replayed.set(change.after.id, change.after);
        }
      }
    }
    const onDisk = readRegistry(root);
    expect(comparable(onDisk)).toEqual(comparable([...replayed.values()]));

    // And registry and disk agree: every file is where the registry says, nothing diverged.
    for (const entry of onDisk) expect(existsSync(path.join(root, entry.path)), entry.path).toBe(true);
    const snapshot = await writers[0]!.call('snapshot.get', { sync: true });
    expect(snapshot.divergence).toEqual([]);
    expect(snapshot.summary.missing).toBe(0);
    expect(stream.filter((event: EventEnvelope) => event.type === 'divergence.detected')).toEqual([]);
  });
});
