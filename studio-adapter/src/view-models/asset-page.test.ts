import { describe, expect, it } from 'vitest';
import type { ActivityRow } from './activity-feed.js';
import { buildOutcome } from './build-outcome.js';
import { assetPageRows, navigatorRows } from './navigator.js';

const observation = { size: 1, mtimeMs: 0 };

describe('assetPageRows', () => {
  it('gives one assets.list page the same rows as navigatorRows gives the snapshot holding those entries', () => {
    const bat = {
      id: 'a_1',
      path: 'assets/enemies/bat.png',
      kind: 'image',
      settings: {},
      tags: [],
      status: 'missing' as const,
      worstSeverity: 'blocker' as const,
    };
    const hero = {
      id: 'a_2',
      path: 'assets/hero.png',
      kind: 'image',
      settings: {},
      tags: [],
      status: 'present' as const,
      observation,
    };
    const notes = { path: 'assets/notes.txt', kind: 'text', status: 'untracked' as const, observation };
    expect(assetPageRows([bat, notes, hero])).toEqual(
      navigatorRows({ assets: [bat, hero], untracked: [{ path: notes.path, kind: notes.kind, observation }] }),
    );
    expect(assetPageRows([notes]).at(-1)).toMatchObject({ key: 'untracked:assets/notes.txt', badges: ['untracked'] });
  });
});

describe('buildOutcome', () => {
  const report = {
    revision: 3,
    revisionAfter: 4,
    packs: [
      {
        pack: 'sprites',
        status: 'written',
        file: 'build/sprites.0123.pack',
        digest: 'ab'.repeat(32),
        entries: 2,
        bytes: 10,
        cacheHits: 0,
        durationMs: 5,
      },
    ],
    counts: { processed: 2, cached: 0, failed: 0 },
    assets: 2,
    inputBytes: 9,
    durationMs: 7,
    failures: [],
    warnings: [],
  };
  const row = (extra: Partial<ActivityRow>): ActivityRow => ({
    operationId: 'op_1',
    kind: 'build',
    status: 'running',
    lastSequence: 3,
    operation: {} as ActivityRow['operation'],
    ...extra,
  });

  it("is the completed event's report, packs and digests as the packer gave them", () => {
    const outcome = buildOutcome(
      row({ status: 'completed', outcome: { type: 'completed', revisionAfter: 4, result: report } }),
    );
    expect(outcome?.packs).toEqual([
      {
        pack: 'sprites',
        status: 'written',
        file: 'build/sprites.0123.pack',
        digest: 'ab'.repeat(32),
        entries: 2,
        bytes: 10,
        cacheHits: 0,
      },
    ]);
    expect(outcome).toMatchObject({ revision: 3, counts: report.counts, durationMs: 7, failures: [], warnings: [] });
  });

  it('is nothing before the terminal event, for another kind, or for a failed build', () => {
    expect(buildOutcome(row({ progress: { done: 2, total: 2, fraction: 1 } }))).toBeUndefined();
    expect(
      buildOutcome(
        row({ kind: 'move', status: 'completed', outcome: { type: 'completed', revisionAfter: 4, result: null } }),
      ),
    ).toBeUndefined();
    expect(
      buildOutcome(
        row({ status: 'failed', outcome: { type: 'failed', error: { code: 'BLOCKED', message: 'blocked' } } }),
      ),
    ).toBeUndefined();
  });
});
