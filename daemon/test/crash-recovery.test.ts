import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readTree, type TreeEntry } from '@packer/fixtures';
import { parseCursor, TERMINAL_EVENT_TYPES, type EventEnvelope } from '@packer/core/contract';
import { foldOperation, initialOperation, operationInfoOf } from '@packer/core/contract/runtime';
import { ProjectClient } from '@packer/client';
import { EventRecorder, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { killDaemonsFor, waitForExit } from './support/daemon-processes.js';

/**
 * A daemon SIGKILLed mid-commit (PACKER_TEST_CRASH_AT) and a fresh one on the same project: the workspace is
 * exactly before or after the move, the interrupted operation still ends with one terminal event (`completed` when
 * recovery finished it, `failed` when it rolled it back), and a client
 * that reconnects resumes its subscription without a lost or doubled event.
 */
const BAT_ID = 'a_01JP9Y5A864R5WBBZSKVQTYG01';
const FROM = 'assets/sprites/enemies/bat.png';
const TO = 'assets/sprites/bat.png';
const MOVE = { type: 'move', from: FROM, to: TO } as const;
const REGISTRY = 'packer.registry.json';

/** Commit points and whether the move has happened once the journal is recovered. */
const POINTS = [
  ['journal-written', 'before'],
  ['step-0', 'before'],
  ['registry-written', 'before'],
  ['journal-committed', 'after'],
  ['trash-removed', 'after'],
] as const;

const seq = (cursor: string) => parseCursor(cursor).seq;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The project's files as a user sees them: everything but `.packer/` and the registry (compared on its own). */
async function userTree(root: string): Promise<TreeEntry[]> {
  return (await readTree(root)).filter((entry) => !entry.path.startsWith('.packer/') && entry.path !== REGISTRY);
}

function movedTree(tree: TreeEntry[]): TreeEntry[] {
  return tree
    .map((entry) => (entry.path === FROM ? { ...entry, path: TO } : entry))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function movedRegistry(text: string): unknown {
  const registry = JSON.parse(text) as { assets: { id: string; path: string }[] };
  // The commit writes the current format (2: sorted by path), whatever format the fixture was in.
  const assets = registry.assets.map((entry) => (entry.id === BAT_ID ? { ...entry, path: TO } : entry));
  return { ...registry, version: 2, assets: assets.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

function expectGapFree(events: EventEnvelope[], afterSeq: number): void {
  const seqs = events.map((event) => seq(event.cursor));
  expect(seqs).toEqual(seqs.map((_, index) => afterSeq + 1 + index));
}

describe.each(POINTS)('a daemon killed at %s', (point, outcome) => {
  it.each(['the reconnecting client auto-starts', 'the test starts'] as const)(
    `recovers to ${outcome} the move (${point}) when %s a new daemon`,
    async (restartBy) => {
      const crashing = await startDaemon({ env: { PACKER_TEST_CRASH_AT: point } });
      const { root } = crashing;
      cleanups.push(async () => {
        await stopDaemon(crashing, { keepRoot: true });
        await killDaemonsFor(root);
        rmSync(root, { recursive: true, force: true });
      });
      const registryBefore = readFileSync(path.join(root, REGISTRY), 'utf8');
      const treeBefore = await userTree(root);

      // Without the crash variable: whoever starts the next daemon starts a healthy one.
      const env = { ...process.env, PACKER_TEST_HOOKS: '1' };
      delete env.PACKER_TEST_CRASH_AT;
      const client = await ProjectClient.connect(root, {
        client: 'crash-test',
        env,
        autoStart: restartBy === 'the reconnecting client auto-starts',
        timeoutMs: 20_000,
      });
      cleanups.push(() => client.close());
      const startCursor = client.hello.cursor;
      const startSeq = seq(startCursor);
      const recorder = new EventRecorder();
      const restarts: number[] = [];
      // From the hello cursor: every event after it is delivered, so the sequence can be checked for gaps from there.
      await client.subscribe({
        since: startCursor,
        onEvent: recorder.onEvent,
        onRestart: ({ generation }) => restarts.push(generation),
      });

      const plan = await client.call('mutation.preview', { mutation: MOVE });
      expect(plan.blockers).toEqual([]);
      await expect(
        client.call('mutation.apply', { mutation: MOVE, expectedRevision: plan.baseRevision }),
      ).rejects.toThrow(/closed/);
      expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });

      let restarted: DaemonProcess | undefined;
      if (restartBy === 'the test starts') {
        restarted = await startDaemon({ root });
        cleanups.push(() => stopDaemon(restarted!, { keepRoot: true }));
      }

      // The interrupted move: its `queued` event (live, or replayed after the reconnect) and then its terminal event.
      const isMove = (event: EventEnvelope) =>
        event.type === 'queued' && (event.payload as { kind: string }).kind === 'move';
      await recorder.waitFor(
        (events) => {
          const queued = events.find(isMove);
          return (
            queued !== undefined &&
            events.some((event) => event.operationId === queued.operationId && TERMINAL_EVENT_TYPES.has(event.type))
          );
        },
        20_000,
        'the terminal event of the interrupted move',
      );
      const operationId = recorder.events.find(isMove)!.operationId!;
      const operation = recorder.events.filter((event) => event.operationId === operationId);
      // Past the commit point the move happened: `completed` (with a warning saying recovery finished it), as an
      // apply failing after its commit point is, so nothing reading the log retries it; rolled back: `failed`.
      expect(operation.map((event) => event.type)).toEqual([
        'queued',
        'started',
        outcome === 'after' ? 'completed' : 'failed',
      ]);
      expect(operation.map((event) => event.sequence)).toEqual([1, 2, 3]);
      const [audit] = (await client.call('audit.list', { operationId })).items;
      if (outcome === 'after') {
        expect(operation[2]!.payload).toEqual({
          kind: 'move',
          revisionAfter: audit!.revisionAfter,
          result: {
            operationId,
            recovered: true,
            revisionBefore: audit!.revisionBefore,
            revisionAfter: audit!.revisionAfter,
            changes: expect.objectContaining({ moved: 1, movedFiles: 1, firstPaths: [`${FROM} → ${TO}`] }),
            warnings: [expect.objectContaining({ code: 'AFTER_COMMIT_FAILED', severity: 'warning' })],
          },
        });
        // Every consumer folds it the same way: a completed operation carrying the warning.
        const folded = operation.reduce(foldOperation, initialOperation(operationId));
        expect(folded.status).toBe('completed');
        expect(operationInfoOf(folded)).not.toHaveProperty('error');
      } else {
        expect(operation[2]!.payload).toMatchObject({
          kind: 'move',
          error: { code: 'INTERNAL', data: { recovered: 'before' } },
        });
      }

      // A new daemon, a new generation, announced to the subscription.
      expect(client.state).toBe('connected');
      const { pid, generation } = client.hello;
      expect(pid).not.toBe(crashing.pid);
      if (restarted) expect(pid).toBe(restarted.pid);
      expect(generation).toBe(parseCursor(client.hello.cursor).generation);
      expect(restarts).toEqual([generation]);
      await recorder.waitFor(
        (events) =>
          events.some((event) => event.type === 'daemon.started' && (event.payload as { pid: number }).pid === pid),
        10_000,
        'daemon.started of the new daemon',
      );

      // Exactly before or exactly after, on disk and in the registry; no journal or trash left.
      const registryNow = readFileSync(path.join(root, REGISTRY), 'utf8');
      if (outcome === 'before') {
        expect(JSON.parse(registryNow)).toEqual(JSON.parse(registryBefore));
        expect(registryNow).toBe(registryBefore);
        expect(await userTree(root)).toEqual(treeBefore);
      } else {
        expect(JSON.parse(registryNow)).toEqual(movedRegistry(registryBefore));
        expect(await userTree(root)).toEqual(movedTree(treeBefore));
      }
      expect(existsSync(path.join(root, '.packer', 'journal.json'))).toBe(false);
      expect(existsSync(path.join(root, '.packer', 'trash'))).toBe(false);

      // The daemon's view agrees, with nothing to reconcile and nothing left unrecovered.
      const asset = await client.call('assets.get', { ref: BAT_ID, sync: true });
      expect(asset.asset).toMatchObject({ path: outcome === 'before' ? FROM : TO, status: 'present' });
      const diagnostics = await client.call('diagnostics.list', {});
      expect(diagnostics.items.map((item) => item.code)).not.toContain('RECOVERY_INCOMPLETE');
      expect((await client.call('snapshot.summary', {})).summary.divergence).toBe(0);
      const audited = (await client.call('audit.list', { operationId })).items;
      expect(audited.map((record) => record.result)).toEqual(outcome === 'before' ? [] : ['applied']);

      // The lane works again, and its events continue the same gap-free sequence.
      const back =
        outcome === 'before'
          ? ({ type: 'move', from: FROM, to: TO } as const)
          : ({ type: 'move', from: TO, to: FROM } as const);
      const result = await client.call('mutation.apply', { mutation: back });
      expect((await recorder.terminalOf(result.operationId)).type).toBe('completed');
      expectGapFree(recorder.events, startSeq);

      // A fresh subscriber replaying from the same cursor sees exactly what the reconnecting one saw live.
      const replayer = await ProjectClient.connect(root, {
        client: 'replayer',
        env,
        autoStart: false,
        reconnect: false,
      });
      cleanups.push(() => replayer.close());
      const replay = new EventRecorder();
      await replayer.subscribe({ since: startCursor, onEvent: replay.onEvent });
      const seen = [...recorder.events];
      const last = seen.at(-1)!.cursor;
      await replay.waitFor((events) => events.some((event) => event.cursor === last), 10_000, `replay up to ${last}`);
      expect(replay.events.slice(0, seen.length)).toEqual(seen);

      await client.call('daemon.shutdown', { reason: 'crash test done' });
      await client.close();
      await waitForExit(pid);
    },
  );
});

describe('a daemon whose event log was wiped while it was down', () => {
  it('tells the reconnecting client its cursor expired, then follows the new log', async () => {
    const crashing = await startDaemon();
    const { root } = crashing;
    cleanups.push(async () => {
      await stopDaemon(crashing, { keepRoot: true });
      await killDaemonsFor(root);
      rmSync(root, { recursive: true, force: true });
    });
    const env = { ...process.env, PACKER_TEST_HOOKS: '1' };
    const client = await ProjectClient.connect(root, { client: 'crash-test', env, timeoutMs: 20_000 });
    cleanups.push(() => client.close());
    const recorder = new EventRecorder();
    const expired: string[] = [];
    await client.subscribe({ onEvent: recorder.onEvent, onExpired: ({ cursor }) => expired.push(cursor) });
    // Some history, so the client's cursor is well past where a fresh log starts.
    for (const [from, to] of [
      [FROM, TO],
      [TO, FROM],
      [FROM, TO],
    ] as const) {
      const { operationId } = await client.call('mutation.apply', { mutation: { type: 'move', from, to } });
      await recorder.terminalOf(operationId);
    }
    const cursorBefore = recorder.events.at(-1)!.cursor;

    // Kill and wipe in one go: the client may reconnect (and restart the daemon) as soon as the socket drops.
    rmSync(path.join(root, '.packer', 'events'), { recursive: true, force: true });
    crashing.child.kill('SIGKILL');
    await crashing.exited;

    await waitForExit(crashing.pid);
    const { operationId } = await client.call('mutation.apply', { mutation: { type: 'move', from: TO, to: FROM } });
    await recorder.terminalOf(operationId);
    expect(expired).toEqual([cursorBefore]);
    // Everything the new log holds is delivered after the last event of the old one, from its first seq on.
    const resumed = recorder.events.slice(recorder.events.findIndex((event) => event.cursor === cursorBefore) + 1);
    expectGapFree(resumed, 0);
    expect(resumed.find((event) => event.type === 'daemon.started')!.payload).toMatchObject({ pid: client.hello.pid });
    expect(resumed.filter((event) => event.operationId === operationId).map((event) => event.type)).toEqual([
      'queued',
      'started',
      'completed',
    ]);
    await client.call('daemon.shutdown', {});
    const { pid } = client.hello;
    await client.close();
    await waitForExit(pid);
  });
});
