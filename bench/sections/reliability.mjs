// Issue 9: the crash campaign. kill -9 of a real daemon at random moments of a move, a remove, a reconcile and
// a build (and at named commit points), then a restart through a client call and the checks of lib/crash-checks.
import { runCrashCampaign } from '../lib/crash-campaign.mjs';
import { count, ms } from '../lib/markdown-table.mjs';

/** Findings printed in full; the rest are counted. */
const FINDINGS_SHOWN = 40;

export default {
  name: 'reliability',
  title: 'reliability — crash campaign, kill -9 mid-operation (issue 9)',
  async run(ctx) {
    const { ProjectClient, isDaemonAlive } = await import(ctx.packages.client);
    const fixtures = await import(ctx.packages.fixtures);
    const { testDaemonEntryPoint } = await import('@packer/daemon/testing');
    const deps = {
      ProjectClient,
      isDaemonAlive,
      copyFixture: fixtures.copyFixture,
      generateWorkspace: fixtures.generateWorkspace,
      SeededRandom: fixtures.SeededRandom,
      testDaemonEntryPoint: testDaemonEntryPoint(),
    };
    const trials = ctx.trials ?? (ctx.quick ? 40 : 200);
    const seed = ctx.seed ?? 9;
    const result = await runCrashCampaign(deps, { trials, seed, tempDir: ctx.tempDir, keep: ctx.keep, log: ctx.log });
    printTables(ctx, result);
  },
};

function printTables(ctx, { rows, findings, seconds, settings }) {
  const sum = (key) => rows.reduce((total, row) => total + row[key], 0);
  const cells = (row) => [
    `${count(row.trials)} (${count(row.hookTrials)} at a commit point)`,
    count(row.before),
    count(row.after),
    count(row.torn),
    count(row.lostFiles),
    count(row.invalid),
    count(row.missingTerminal),
    count(row.eventGaps),
    count(row.unreportedPacks),
    count(row.wrongTerminal),
  ];
  const total = { trials: sum('trials'), hookTrials: sum('hookTrials') };
  for (const key of [
    'before',
    'after',
    'torn',
    'lostFiles',
    'invalid',
    'missingTerminal',
    'eventGaps',
    'unreportedPacks',
    'wrongTerminal',
  ])
    total[key] = sum(key);
  ctx.table(
    `crash campaign: ${count(total.trials)} kill -9 trials in ${ms(seconds * 1000)}`,
    [
      'Operation',
      'Trials',
      'Before',
      'After',
      'Torn states',
      'Lost files',
      'Invalid registry',
      'Missing terminal',
      'Event-log gaps',
      'Unreported bad packs',
      'Terminal contradicts state',
    ],
    [...rows.map((row) => [`\`${row.operation}\``, ...cells(row)]), ['**total**', ...cells(total)]],
    [
      `Each trial: prepare the project, capture registry (id → path) and every file under \`assets/\` (sha256), send the operation, SIGKILL the daemon after a delay drawn uniformly from 0–1.2× the operation's own duration (measured first without a kill; seeded PRNG, seed ${settings.seed}), or — every ${settings.hookEvery}th trial — start the daemon with \`PACKER_TEST_CRASH_AT=<commit point>\` so it kills itself there (points taken in turn). Then a client call starts a new daemon, and:`,
      '**Before / After**: registry and disk are exactly the state before the operation, or exactly the state its plan (the preview taken just before) promises; for `build`, whether the `bulk` pack (one input rewritten per trial) changed. **Torn**: anything else, or a daemon that reports divergence after recovery (except a reconcile rolled back).',
      '**Lost files**: files present before (counted by content digest) that are gone, beyond the ones the operation itself deletes (`remove` with `deleteFiles`).',
      '**Invalid registry**: registry state not `ok`, an INVALID_REGISTRY / INVALID_JOURNAL / RECOVERY_INCOMPLETE / SYMLINK_IN_PATH diagnostic, an unreadable `packer.registry.json`, or a journal left in `.packer/`.',
      '**Missing terminal**: operations queued since the last check whose events (replayed from the last checked cursor by a new client) hold no terminal event, or more than one. **Event-log gaps**: trials whose replay has non-consecutive cursors or stops short of the cursor the new daemon announced.',
      '**Unreported bad packs** (build): packs that fail `packs.verify`, or vanished, without a PACK_UNVERIFIED diagnostic naming them. **Terminal contradicts state**: a `completed` or `failed` event whose `recovered` says before/after while the project is the other.',
      'A torn or invalid project is replaced by a fresh copy, so one bad trial does not taint the next.',
    ],
  );
  ctx.table(
    'crash campaign: operations',
    [
      'Operation',
      'What runs',
      'Duration without a kill',
      'Refused requests',
      'Bad packs reported',
      'Hooks not reached',
      'Failed restarts',
      'Aborted trials',
      'Cookie files left',
      'Time',
    ],
    rows.map((row) => [
      `\`${row.operation}\``,
      row.description,
      ms(row.durationMs),
      count(row.refused),
      count(row.reportedPacks),
      count(row.hooksMissed),
      count(row.failedRestarts),
      count(row.aborted),
      count(row.cookiesLeft),
      ms(row.seconds * 1000),
    ]),
    [
      '**Refused**: the apply answered CONFLICT or BLOCKED (the project moved between preview and apply); the trial still counts and must be "before". **Hooks not reached**: the operation answered without passing its crash point (the daemon is killed then).',
      '**Failed restarts**: client calls that could not start the next daemon (retried up to 3 times; the error and the tail of `.packer/daemon.log` are in the findings). **Aborted**: trials that could not be checked at all (counted neither before, after nor torn).',
      '**Cookie files left**: `.packer-cookie-*` files (read-your-writes probes) that a killed daemon left in the asset folder and the next one did not remove; not assets, so not counted as torn.',
    ],
  );
  if (findings.length === 0) {
    ctx.print(
      '_No findings: every trial recovered to exactly before or after, with a valid registry, every file, verified or reported packs, a gap-free log and one terminal event per operation._',
    );
    return;
  }
  const lines = findings
    .slice(0, FINDINGS_SHOWN)
    .map(
      (finding) =>
        `- \`${finding.operation}\` trial ${finding.trial} (${finding.mode}): ${finding.problems.join('; ')}`,
    );
  if (findings.length > FINDINGS_SHOWN) lines.push(`- … and ${findings.length - FINDINGS_SHOWN} more.`);
  ctx.print(`### crash campaign: findings\n\n${lines.join('\n')}`);
}
