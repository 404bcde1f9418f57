// The crash campaign (issue 9): kill -9 the daemon at a random moment of a move, remove, reconcile or build (or
// at a named commit point), restart it through a client call, and check what a user would rely on: a valid
// registry, registry and disk exactly before or after the operation, no lost files, packs that verify or are
// reported, a gap-free event log and one terminal event per operation.
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CrashProject, generateBulk } from './crash-project.mjs';
import { OPERATIONS } from './crash-operations.mjs';
import { captureState, classify, lostFiles, predictAfter } from './crash-state.mjs';
import { checkEvents, checkPacks, packDigests, validityProblems } from './crash-checks.mjs';

/** Every `hookEvery`-th trial stops at a commit point through PACKER_TEST_CRASH_AT instead of a timed kill. */
const DEFAULTS = { trials: 200, bulkFiles: 1500, seed: 9, hookEvery: 4, divergencesPerTrial: 150, calibrationRuns: 2 };

/**
 * Runs the campaign; `deps` are the packages it drives ({ ProjectClient, isDaemonAlive, copyFixture,
 * generateWorkspace, SeededRandom, testDaemonEntryPoint }), so the benchmark passes the compiled ones and a test
 * its sources; `testDaemonEntryPoint` is the daemon bin with test hooks, which honours PACKER_TEST_CRASH_AT.
 * Returns one row per operation and the findings (each torn state or broken promise, with the trial).
 */
export async function runCrashCampaign(deps, options = {}) {
  const settings = { ...DEFAULTS, ...options };
  const log = settings.log ?? (() => undefined);
  const dir = mkdtempSync(path.join(settings.tempDir, 'crash-'));
  const random = new deps.SeededRandom(settings.seed);
  const projects = [];
  const started = performance.now();
  try {
    log(`crash campaign: generating ${settings.bulkFiles} bulk files`);
    const bulkSource = await generateBulk(deps, dir, settings.bulkFiles, settings.seed);
    const rows = [];
    const findings = [];
    const operations = OPERATIONS.filter(
      (operation) => !settings.operations || settings.operations.includes(operation.name),
    );
    const perOperation = operations.map(
      (_, index) =>
        Math.floor(settings.trials / operations.length) + (index < settings.trials % operations.length ? 1 : 0),
    );
    for (const [index, operation] of operations.entries()) {
      const operationStarted = performance.now();
      log(`crash campaign: ${operation.name}: setting up`);
      const project = await CrashProject.create({
        deps,
        dir,
        name: operation.name,
        fixture: operation.fixture,
        bulkSource,
      });
      projects.push(project);
      const context = { deps, project, operation, random, settings, log, findings };
      // The kill moment is drawn from the operation's own duration, measured here without a kill.
      const durations = [];
      for (let run = 0; run < settings.calibrationRuns; run++)
        durations.push((await runTrial(context, -1 - run, { kind: 'none' })).durationMs);
      const durationMs = durations.reduce((sum, value) => sum + value, 0) / durations.length;
      log(
        `crash campaign: ${operation.name}: takes ${durations.map((value) => Math.round(value)).join(', ')} ms without a kill`,
      );
      const row = emptyRow(operation, settings, durationMs);
      for (let trial = 0; trial < perOperation[index]; trial++) {
        const hookTrial = settings.hookEvery > 0 && trial % settings.hookEvery === settings.hookEvery - 1;
        const mode = hookTrial
          ? { kind: 'hook', index: Math.floor(trial / settings.hookEvery) }
          : { kind: 'kill', delayMs: random.float() * durationMs * 1.2 };
        let record;
        try {
          record = await runTrial(context, trial, mode);
        } catch (error) {
          // A trial that could not finish (a daemon that would not restart) is a finding, and the project is suspect.
          record = {
            trial,
            outcome: 'error',
            invalid: true,
            problems: [`trial aborted: ${error.message}`],
            lostFiles: 0,
            missingTerminal: 0,
            unreportedPacks: 0,
            reportedPacks: 0,
            failedRestarts: 1,
          };
          findings.push({ operation: operation.name, trial, mode: describeMode(mode), problems: record.problems });
        }
        tally(row, record);
        log(
          `crash campaign: ${operation.name} #${trial} ${describeMode(mode, record.hook)}: ${record.outcome}${record.problems.length > 0 ? ` — ${record.problems.join('; ')}` : ''}`,
        );
        // A torn project would taint every later trial: start over from a fresh copy (with --keep, keep the torn one).
        if (record.outcome === 'torn' || record.outcome === 'error' || record.invalid) {
          const suspect = context.project;
          if (settings.keep) {
            await suspect.shutdown().catch(() => undefined);
            log(`crash campaign: kept the torn project ${suspect.root}`);
          } else await suspect.dispose();
          context.project = await CrashProject.create({
            deps,
            dir,
            name: `${operation.name}-${trial}`,
            fixture: operation.fixture,
            bulkSource,
          });
          projects.splice(projects.indexOf(suspect), 1, context.project);
        }
      }
      row.seconds = (performance.now() - operationStarted) / 1000;
      rows.push(row);
      if (!settings.keep) {
        await context.project.dispose();
        projects.splice(projects.indexOf(context.project), 1);
      }
    }
    return { rows, findings, seconds: (performance.now() - started) / 1000, settings };
  } finally {
    for (const project of projects)
      await (settings.keep ? project.shutdown() : project.dispose()).catch(() => undefined);
    if (settings.keep) log(`crash campaign: kept ${dir}`);
    // A daemon that just died may still have had a write in flight: retry rather than hide the real error.
    else rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

function emptyRow(operation, settings, durationMs) {
  return {
    operation: operation.name,
    description: operation.describe(settings.bulkFiles, settings.divergencesPerTrial),
    durationMs,
    trials: 0,
    hookTrials: 0,
    hooksMissed: 0,
    before: 0,
    after: 0,
    torn: 0,
    lostFiles: 0,
    invalid: 0,
    missingTerminal: 0,
    eventGaps: 0,
    unreportedPacks: 0,
    reportedPacks: 0,
    wrongTerminal: 0,
    refused: 0,
    failedRestarts: 0,
    aborted: 0,
    cookiesLeft: 0,
  };
}

function tally(row, record) {
  row.trials++;
  if (record.hook) row.hookTrials++;
  if (record.hookMissed) row.hooksMissed++;
  if (record.outcome === 'before') row.before++;
  else if (record.outcome === 'after') row.after++;
  else if (record.outcome === 'torn') row.torn++;
  else row.aborted++;
  row.lostFiles += record.lostFiles;
  if (record.invalid) row.invalid++;
  row.missingTerminal += record.missingTerminal;
  if (record.eventGap) row.eventGaps++;
  row.unreportedPacks += record.unreportedPacks;
  row.reportedPacks += record.reportedPacks;
  if (record.wrongTerminal) row.wrongTerminal++;
  if (record.refused) row.refused++;
  row.failedRestarts += record.failedRestarts;
  row.cookiesLeft += record.cookiesLeft ?? 0;
}

/**
 * One trial: prepare (resets run on a daemon without a hook), capture the state, send the operation, kill the
 * daemon (after `delayMs`, or let the hook do it), restart it with a client call, check. `mode.kind === 'none'`
 * runs the operation to its end without a kill (calibration) and checks the same way.
 */
async function runTrial(context, trial, mode) {
  const { project, operation, random, settings, findings } = context;
  context.prepared = (context.prepared ?? 0) + 1;
  const prepared = await operation.prepare(project, context.prepared, random, settings.divergencesPerTrial);
  let client = await project.daemon();
  let plan = prepared.mutation ? await stablePreview(client, prepared.mutation) : undefined;
  let hook;
  if (mode.kind === 'hook') {
    const points = operation.hookPoints(plan?.filesystemMutations.length ?? 0);
    hook = points[mode.index % points.length];
    client = await project.daemon({ crashAt: hook });
    // Previewed again: the apply names the new daemon's revision.
    if (plan) plan = await stablePreview(client, prepared.mutation);
  }
  // Synced: the daemon has seen every change the preparation made before the state is captured.
  await client.call('snapshot.summary', { sync: true });
  const before = captureState(project.root);
  const predicted = predictAfter(before, plan);
  const packsBefore = prepared.build ? await packDigests(client) : undefined;
  const { pid } = project;

  const started = performance.now();
  const request = prepared.build
    ? client.call('build.run', prepared.build)
    : client.call('mutation.apply', { mutation: prepared.mutation, expectedRevision: plan.baseRevision });
  const reply = request.then(
    (value) => ({ value, ms: performance.now() - started }),
    (error) => ({ error }),
  );
  let hookMissed = false;
  if (mode.kind === 'kill') {
    // The random moment may fall after the reply: a kill while the daemon saves its state or idles counts too.
    await new Promise((resolve) => setTimeout(resolve, mode.delayMs));
    await project.kill();
  } else if (mode.kind === 'hook') {
    // The hook kills the daemon itself. An apply that answers (a point it never reaches, a refusal) leaves the
    // daemon running a moment longer at most (a point after the reply): then it is killed here.
    const gone = project.waitGone(pid, 120_000).then(() => true);
    const settled = await Promise.race([gone.then(() => undefined), reply]);
    if (settled?.error?.code === 'CONNECTION_LOST') await gone;
    else if (settled)
      hookMissed = !(await Promise.race([gone, new Promise((resolve) => setTimeout(() => resolve(false), 2000))]));
    await project.kill();
  }
  const answered = await reply;
  if (mode.kind === 'none' && answered.error)
    throw new Error(`${operation.name} failed without a crash: ${answered.error.message}`);

  // A client call starts the next daemon, which recovers; then the checks.
  const restartFailures = await project.restart();
  client = await project.daemon();
  const observed = captureState(project.root);
  const state = classify(before, predicted, observed);
  const record = {
    trial,
    hook,
    hookMissed,
    outcome: state.outcome,
    lostFiles: lostFiles(before, predicted, observed),
    invalid: false,
    missingTerminal: 0,
    eventGap: false,
    unreportedPacks: 0,
    reportedPacks: 0,
    wrongTerminal: false,
    refused: answered.error?.code === 'CONFLICT' || answered.error?.code === 'BLOCKED',
    durationMs: answered.ms,
    failedRestarts: restartFailures.length,
    problems: [...restartFailures],
  };
  if (state.details) record.problems.push(state.details);
  // A crash during a synced read leaves its cookie file in the asset folder: harmless to the packer, litter to a user.
  record.cookiesLeft = observed.cookies.filter((file) => !before.cookies.includes(file)).length;
  if (record.cookiesLeft > 0)
    record.problems.push(`cookie file(s) left in the project after recovery: ${observed.cookies.join(', ')}`);
  if (record.lostFiles > 0) record.problems.push(`${record.lostFiles} file(s) lost`);

  const validity = await validityProblems(client, project.root);
  if (observed.registryError) validity.push(`packer.registry.json cannot be read: ${observed.registryError}`);
  if (validity.length > 0) {
    record.invalid = true;
    record.problems.push(...validity);
  }
  // The daemon's own view: nothing diverges after a move, remove or build, nor after a reconcile that applied.
  const summary = await client.call('snapshot.summary', { sync: true });
  if (summary.summary.divergence > 0 && !(operation.name === 'reconcile' && state.outcome === 'before')) {
    if (state.outcome !== 'torn') record.outcome = 'torn';
    record.problems.push(`the daemon reports ${summary.summary.divergence} divergence(s) after recovery`);
  }

  if (prepared.build) {
    const packs = await checkPacks(client, packsBefore);
    record.unreportedPacks = packs.unreported.length;
    record.reportedPacks = packs.reported.length;
    if (packs.unreported.length > 0)
      record.problems.push(`packs neither verified nor reported: ${packs.unreported.join(', ')}`);
    if (record.outcome !== 'torn') record.outcome = packs.bulkChanged ? 'after' : 'before';
  }

  const events = await checkEvents(project, operation.name);
  record.missingTerminal = events.missingTerminal.length;
  record.eventGap = events.gap !== undefined;
  if (events.gap) record.problems.push(`event log: ${events.gap}`);
  if (events.missingTerminal.length > 0)
    record.problems.push(`operations without exactly one terminal event: ${events.missingTerminal.join(', ')}`);
  const said = events.trialTerminal ? terminalOutcome(events.trialTerminal) : undefined;
  if (said && record.outcome !== 'torn' && said !== record.outcome && !prepared.build) {
    record.wrongTerminal = true;
    record.problems.push(`the terminal event says "${said}" but the project is ${record.outcome} the operation`);
  }
  if (record.problems.length > 0)
    findings.push({ operation: operation.name, trial, mode: describeMode(mode, hook), problems: record.problems });
  return record;
}

function describeMode(mode, hook) {
  if (mode.kind === 'hook') return hook ? `crash hook at ${hook}` : `crash hook #${mode.index}`;
  return mode.kind === 'kill' ? `kill -9 after ${Math.round(mode.delayMs)} ms` : 'no kill';
}

/**
 * What a terminal event says happened: `completed` → after; `failed` with `data.recovered` before/after → that;
 * any other failure (a refusal, CANCELLED) → before; a recovery that says `partial` or `unknown` → no claim.
 */
function terminalOutcome(event) {
  if (event.type === 'completed') return 'after';
  const recovered = event.payload?.error?.data?.recovered;
  if (recovered === 'before' || recovered === 'after') return recovered;
  return recovered === undefined ? 'before' : undefined;
}

/** A preview's summary with its lists paged in whole (a preview carries only the first items of each). */
async function wholePlan(client, summary) {
  if (!summary.truncated) return summary;
  const plan = { ...summary };
  for (const list of ['registryMutations', 'filesystemMutations', 'blockers', 'warnings']) {
    const items = [];
    let page;
    do {
      const answer = await client.call('plan.items', { planId: summary.planId, list, ...(page ? { page } : {}) });
      items.push(...answer.items);
      page = answer.nextPage;
    } while (page);
    plan[list] = items;
  }
  return plan;
}

/** A preview taken twice with the same result, so the prediction is the plan the apply will re-plan to. */
async function stablePreview(client, mutation) {
  let previous;
  for (let attempt = 0; attempt < 20; attempt++) {
    const plan = await wholePlan(client, await client.call('mutation.preview', { mutation, sync: true }));
    if (plan.blockers.length > 0)
      throw new Error(
        `The ${mutation.type} preview has blockers: ${plan.blockers.map((blocker) => blocker.message).join('; ')}`,
      );
    // Ids of additions are provisional (fresh at each preview): compare them by path.
    const registry = plan.registryMutations.map((change) =>
      change.op === 'add' ? { op: 'add', path: change.entry.path } : change,
    );
    const key = JSON.stringify([registry, plan.filesystemMutations]);
    if (previous === key) return plan;
    previous = key;
  }
  throw new Error(`The ${mutation.type} preview kept changing.`);
}
