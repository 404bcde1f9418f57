import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateWorkspace } from '@packer/fixtures';
import { MAX_FRAME_BYTES, PAGE_SIZES } from '@packer/core/contract';
import { startDaemon, stopDaemon, type DaemonProcess } from './support/daemon-harness.js';
import { FrameMeter } from './support/frame-meter.js';

// Issue 11: no reply depends on the project's size. On 100,000 untracked files (where the preview of one
// `packer add` used to be a 20+ MB frame and the connection was lost), every answer stays under a fixed bound:
// summaries are counts and first items, lists are pages of at most PAGE_SIZES[method].max, and what would still
// be too big is REPLY_TOO_LARGE on a connection that stays open.

const FILES = 100_000;
const SUMMARY_BOUND = 512 * 1024;
const COUNTS_BOUND = 64 * 1024;
const PAGE_BOUND = 4 * 1024 * 1024;

let daemon: DaemonProcess;
let meter: FrameMeter;

beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'packer-bounded-replies-'));
  await generateWorkspace({ root, files: FILES, sizes: { min: 8, max: 32 }, depth: 2, foldersPerLevel: 16 });
  daemon = await startDaemon({ root });
  meter = await FrameMeter.connect(daemon.socketPath);
}, 600_000);

afterAll(async () => {
  meter?.close();
  if (daemon) await stopDaemon(daemon);
}, 300_000);

describe(`replies on a project of ${FILES.toLocaleString('en-US')} untracked files`, { timeout: 600_000 }, () => {
  it('answers the preview of adding them all with a bounded summary and a plan id', async () => {
    const frame = await meter.call('mutation.preview', { mutation: { type: 'register', paths: ['assets'] } }, 600_000);
    expect(frame.message.error).toBeUndefined();
    expect(frame.bytes).toBeLessThan(SUMMARY_BOUND);
    const plan = frame.message.result as { planId: string; counts: { registryMutations: number } };
    expect(plan.counts.registryMutations).toBe(FILES);

    const page = await meter.call('plan.items', {
      planId: plan.planId,
      list: 'registryMutations',
      limit: PAGE_SIZES['plan.items'].max,
    });
    expect(page.message.error).toBeUndefined();
    expect(page.bytes).toBeLessThan(PAGE_BOUND);
  });

  it('answers snapshot.summary with counts only', async () => {
    const frame = await meter.call('snapshot.summary', {});
    expect(frame.bytes).toBeLessThan(COUNTS_BOUND);
    expect((frame.message.result as { summary: { untracked: number } }).summary.untracked).toBe(FILES);
  });

  it('pages every list under a fixed bound, with a next page', async () => {
    const lists = [
      ['assets.list', { status: 'untracked', limit: PAGE_SIZES['assets.list'].max }],
      ['diagnostics.list', { limit: PAGE_SIZES['diagnostics.list'].max }],
      ['divergence.list', { limit: PAGE_SIZES['divergence.list'].max }],
      ['audit.list', { limit: PAGE_SIZES['audit.list'].max }],
    ] as const;
    for (const [method, params] of lists) {
      const frame = await meter.call(method, params);
      expect(frame.message.error, method).toBeUndefined();
      expect(frame.bytes, method).toBeLessThan(PAGE_BOUND);
      const result = frame.message.result as { items: unknown[]; total: number; nextPage?: string };
      expect(result.items.length, method).toBeLessThanOrEqual(params.limit);
      // Every untracked file is an item of these two: they hold the whole project, a page at a time.
      if (method === 'assets.list' || method === 'divergence.list') {
        expect(result.total, method).toBe(FILES);
        expect(result.nextPage, method).toBeDefined();
      }
    }
  });

  it('refuses what would still be too large with REPLY_TOO_LARGE and keeps the connection', async () => {
    const frame = await meter.call('snapshot.get', {});
    expect(frame.message.error?.data).toMatchObject({ code: 'REPLY_TOO_LARGE', limit: MAX_FRAME_BYTES });
    expect(frame.bytes).toBeLessThan(COUNTS_BOUND);
    expect((await meter.call('snapshot.summary', {})).message.error).toBeUndefined();
    expect(meter.closed).toBe(false);
  });
});
