import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { isDaemonAlive, ProjectClient } from '@packer/client';
import { testDaemonEntryPoint } from '@packer/daemon/testing';
import { copyFixture, generateWorkspace, SeededRandom } from '@packer/fixtures';
import { runCrashCampaign } from '../../bench/lib/crash-campaign.mjs';

/**
 * The crash campaign of `npm run bench -- --only reliability` (200 trials there), small: a real daemon killed
 * with SIGKILL at a random moment of a folder move, a remove with deleteFiles, a reconcile and a build (and,
 * every 4th trial, at a commit point through PACKER_TEST_CRASH_AT), restarted by a client call, then checked
 * as a user would: registry valid, registry and files exactly before or after, no file lost, packs verified
 * or reported, the event log gap-free, one terminal event per operation that tells the truth.
 */
describe('a daemon killed with SIGKILL in the middle of move, remove, reconcile and build', () => {
  it('always recovers to exactly before or after, loses no file and ends every operation with one true terminal event', async () => {
    const deps = {
      ProjectClient,
      isDaemonAlive,
      copyFixture,
      generateWorkspace,
      SeededRandom,
      testDaemonEntryPoint: testDaemonEntryPoint(),
    };
    // The campaign removes its own temp folder (under the run's TMPDIR) whatever happens.
    const result = await runCrashCampaign(deps, {
      trials: 24,
      bulkFiles: 200,
      seed: 9,
      calibrationRuns: 1,
      tempDir: tmpdir(),
    });

    // Including cookie files: a daemon killed during a synced read leaves its `.packer-cookie-*` file in the asset
    // folder, and the next daemon removes it before it serves (cookie-cleanup.test.ts pins that moment down).
    const findings = result.findings.filter((finding: { problems: string[] }) => finding.problems.length > 0);
    expect(findings).toEqual([]);
    expect(result.rows.map((row) => row.operation)).toEqual(['move', 'remove', 'reconcile', 'build']);
    for (const row of result.rows) {
      expect({
        operation: row.operation,
        trials: row.trials,
        hookTrials: row.hookTrials,
        hooksMissed: row.hooksMissed,
        torn: row.torn,
        aborted: row.aborted,
      }).toEqual({
        operation: row.operation,
        trials: 6,
        hookTrials: 1,
        hooksMissed: 0,
        torn: 0,
        aborted: 0,
      });
      expect(row.before + row.after).toBe(6);
      expect([
        row.lostFiles,
        row.invalid,
        row.missingTerminal,
        row.eventGaps,
        row.unreportedPacks,
        row.wrongTerminal,
      ]).toEqual([0, 0, 0, 0, 0, 0]);
      // The first commit-point trial stops each operation before its commit point: "before" happens every run.
      expect(row.before).toBeGreaterThanOrEqual(1);
    }
  }, 240_000);
});
