import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyFixture, generateWorkspace } from '@packer/fixtures';
import { isPackerError, PLAN_SUMMARY_LIMITS, type PlanSummary, type RegistryMutation } from '@packer/core/contract';
import { ProjectClient, type DaemonClient } from '@packer/client';
import { connectClient, startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { FrameMeter } from './support/frame-meter.js';

// Issue 11: a plan of any size is kept by the daemon and travels as a summary with a plan id; its items are paged;
// apply takes the plan id and the revision; a stale plan id is refused with PLAN_EXPIRED.

const FILES = 20_000;
// A summary holds at most 100 + 100 mutations and 1,000 + 1,000 diagnostics: far below this whatever the plan.
const SUMMARY_BOUND = 512 * 1024;
const PAGE_BOUND = 4 * 1024 * 1024;

let daemon: DaemonProcess;
let client: DaemonClient;
let meter: FrameMeter;

beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'packer-paged-plans-'));
  await generateWorkspace({ root, files: FILES, sizes: { min: 16, max: 64 }, depth: 2, foldersPerLevel: 8 });
  daemon = await startDaemon({ root });
  client = await connectClient(root);
  meter = await FrameMeter.connect(daemon.socketPath);
}, 240_000);

afterAll(async () => {
  meter?.close();
  await client?.close();
  if (daemon) await stopDaemon(daemon);
}, 180_000);

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe(`a ${FILES.toLocaleString('en-US')}-file add through the client library`, { timeout: 300_000 }, () => {
  it('previews as a bounded summary, pages every item, applies by plan id, and refuses the same plan id again', async () => {
    const mutation = { type: 'register' as const, paths: ['assets'] };
    const previewFrame = await meter.call('mutation.preview', { mutation });
    expect(previewFrame.message.error).toBeUndefined();
    expect(previewFrame.bytes).toBeLessThan(SUMMARY_BOUND);

    const plan = await client.call('mutation.preview', { mutation });
    expect(plan.counts).toMatchObject({
      registryMutations: FILES,
      blockers: 0,
      registry: { add: FILES, remove: 0, update: 0 },
    });
    expect(plan.registryMutations).toHaveLength(PLAN_SUMMARY_LIMITS.items);
    expect(plan.truncated).toBe(true);
    expect(plan.nextPages.registryMutations).toBeDefined();

    // Every item, paged from the summary's own next page: nothing twice, nothing missing.
    const paths = new Set(
      plan.registryMutations.map((change) => (change as Extract<RegistryMutation, { op: 'add' }>).entry.path),
    );
    for (let page = plan.nextPages.registryMutations; page !== undefined;) {
      const answer = await client.call('plan.items', {
        planId: plan.planId,
        list: 'registryMutations',
        page,
        limit: 5000,
      });
      expect(answer.total).toBe(FILES);
      for (const change of answer.items as RegistryMutation[]) paths.add(change.op === 'add' ? change.entry.path : '');
      page = answer.nextPage;
    }
    expect(paths.size).toBe(FILES);
    const pageFrame = await meter.call('plan.items', { planId: plan.planId, list: 'registryMutations', limit: 5000 });
    expect(pageFrame.bytes).toBeLessThan(PAGE_BOUND);

    // Connected before the apply: replaying from here includes every event of it.
    const cursorBefore = client.hello.cursor;
    const applied = await client.call('mutation.apply', { planId: plan.planId, expectedRevision: plan.baseRevision });
    expect(applied.plan.counts.registry.add).toBe(FILES);
    expect(applied.plan.registryMutations.length).toBeLessThanOrEqual(PLAN_SUMMARY_LIMITS.items);
    const summary = await client.call('snapshot.summary', {});
    expect(summary.summary).toMatchObject({ assets: FILES, untracked: 0 });

    // The applied plan pages the ids actually registered.
    const registered = await client.call('plan.items', {
      planId: applied.plan.planId,
      list: 'registryMutations',
      limit: 10,
    });
    expect(registered.total).toBe(FILES);
    for (const change of registered.items as RegistryMutation[])
      expect(change.op === 'add' && /^a_[0-9A-Z]{26}$/.test(change.entry.id)).toBe(true);

    // A plan id is applied once.
    const again = await refusal(
      client.call('mutation.apply', { planId: plan.planId, expectedRevision: plan.baseRevision }),
    );
    expect(isPackerError(again, 'PLAN_EXPIRED') && again.data).toMatchObject({
      planId: plan.planId,
      reason: 'applied',
    });
    // An applied result's plan id pages, but does not apply.
    const result = await refusal(client.call('mutation.apply', { planId: applied.plan.planId }));
    expect(isPackerError(result, 'PLAN_EXPIRED') && result.data.reason).toBe('applied');

    // The events of the apply, replayed, are each as small as the summary: no event carries the whole plan.
    const subscribed = await meter.call('events.subscribe', { since: cursorBefore });
    expect(subscribed.message.error).toBeUndefined();
    const completed = await meter.waitFor(
      (frame) =>
        frame.message.method === 'events.event' &&
        (frame.message.params as { event: { type: string; operationId?: string } }).event.operationId ===
          applied.operationId &&
        (frame.message.params as { event: { type: string } }).event.type === 'completed',
      60_000,
      'the completed event of the apply',
    );
    expect(completed.bytes).toBeLessThan(SUMMARY_BOUND);
    for (const frame of meter.frames) expect(frame.bytes).toBeLessThan(PAGE_BOUND);

    // The audit record of the add is bounded too; its changes count all of it.
    const auditFrame = await meter.call('audit.list', { operationId: applied.operationId });
    expect(auditFrame.bytes).toBeLessThan(SUMMARY_BOUND);
    const audit = await client.call('audit.list', { operationId: applied.operationId });
    expect(audit.items[0]?.changes?.registered).toBe(FILES);
    expect(audit.items[0]?.registryMutations?.length).toBeLessThanOrEqual(20);
  });

  it('refuses a plan id it never made, or evicted, with PLAN_EXPIRED', async () => {
    const unknown = await refusal(client.call('mutation.apply', { planId: 'plan_not-one-of-ours' }));
    expect(isPackerError(unknown, 'PLAN_EXPIRED') && unknown.data).toMatchObject({
      planId: 'plan_not-one-of-ours',
      reason: 'unknown',
    });
    expect(
      isPackerError(
        await refusal(client.call('plan.items', { planId: 'plan_not-one-of-ours', list: 'warnings' })),
        'PLAN_EXPIRED',
      ),
    ).toBe(true);

    // The daemon keeps the last 16 plans: the first of 17 previews is gone.
    const previews: PlanSummary[] = [];
    for (let index = 0; index < 17; index++)
      previews.push(await client.call('mutation.preview', { mutation: { type: 'reconcile' } }));
    const evicted = await refusal(
      client.call('mutation.apply', { planId: previews[0]!.planId, expectedRevision: previews[0]!.baseRevision }),
    );
    expect(isPackerError(evicted, 'PLAN_EXPIRED') && evicted.data.reason).toBe('unknown');
    expect((await client.call('plan.items', { planId: previews[16]!.planId, list: 'blockers' })).planId).toBe(
      previews[16]!.planId,
    );
  });

  it('takes either a plan id or a mutation, not both', async () => {
    const plan = await client.call('mutation.preview', { mutation: { type: 'reconcile' } });
    const both = await refusal(client.call('mutation.apply', { planId: plan.planId, mutation: { type: 'reconcile' } }));
    expect(isPackerError(both, 'INVALID_PARAMS')).toBe(true);
    const neither = await refusal(client.call('mutation.apply', {}));
    expect(isPackerError(neither, 'INVALID_PARAMS')).toBe(true);
  });
});

describe('the in-process path (--no-daemon) speaks the same contract', { timeout: 120_000 }, () => {
  let root: string | undefined;
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('previews a summary with a plan id, applies by it, and refuses it the second time', async () => {
    root = await copyFixture('sample-game');
    const local = await ProjectClient.connect(root, { client: 'test', inProcess: true });
    try {
      expect(local.inProcess).toBe(true);
      const plan = await local.call('mutation.preview', {
        mutation: { type: 'move', from: 'assets/sprites/enemies/bat.png', to: 'assets/sprites/bat.png' },
      });
      expect(plan.planId).toMatch(/^plan_/);
      expect(plan.counts.filesystem.move).toBe(1);
      const applied = await local.call('mutation.apply', { planId: plan.planId, expectedRevision: plan.baseRevision });
      expect(applied.revisionAfter).toBeGreaterThan(applied.revisionBefore);
      const again = await refusal(local.call('mutation.apply', { planId: plan.planId }));
      expect(isPackerError(again, 'PLAN_EXPIRED')).toBe(true);
    } finally {
      await local.close();
    }
  });
});
