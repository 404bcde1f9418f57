import path from 'node:path';
import type { ApplySummary, PlanSummary } from '@packer/core/contract';
import { connectionLostError, fromRpcError, openPipelined, pipelinedResults } from '@packer/client/pipelined';
import { PROTOCOL_VERSION } from '@packer/core/contract/runtime';
import { appliedLine, applyWarnings, nothingToApply, type MutationOutcome } from './base/mutation-outcome.js';
import { packerErrorReport } from './base/packer-error-report.js';
import { assetRefOf } from './base/project-path.js';
import { runsInProcess } from './base/run-mode.js';
import { updateMutation } from './base/update-mutation.js';
import { parseLeanArgs } from './lean-args.js';

/** The flags of `packer set` this path takes; `--yes` is required (a question needs oclif's prompt). */
const SET_FLAGS = {
  switches: { '--yes': 'yes', '-y': 'yes' },
  values: { '--tag': 'tag', '--untag': 'untag', '--kind': 'kind' },
  repeatable: ['tag', 'untag'],
  positionals: { min: 1, more: true },
} as const;

/** A preview answer this long in coming is left to the full client, which reports the wait. */
const PREVIEW_SILENCE_MS = 5_000;

/**
 * `packer set <target> … --yes` to a running daemon without loading oclif: the one-asset change people script, at
 * the cost of a status rather than of oclif's start-up (~110 ms of module loading). The same calls as the oclif
 * command (preview with sync, apply by plan id at the preview's revision) on one connection, printed the same way.
 *
 * Until the apply is sent, anything unusual (no daemon, another protocol, an error or a blocker in the preview, a
 * flag it does not take) returns false and oclif runs the whole command, with its messages: the preview changes
 * nothing. Once the apply is sent, this path reports what happened itself, as the oclif command would: the
 * packer's error, or CONNECTION_LOST when the answer never came (never a second apply).
 */
export async function runLeanSet(args: readonly string[]): Promise<boolean> {
  const parsed = parseLeanArgs(args, SET_FLAGS);
  if (!parsed || !parsed.switches.has('yes') || runsInProcess(parsed.daemon)) return false;
  const workingFolder = path.resolve(parsed.project ?? '.');
  const session = openPipelined(workingFolder);
  if (!session) return false;
  try {
    const [target, ...pairs] = parsed.positionals;
    const mutation = updateMutation(assetRefOf(workingFolder, session.root, target!), {
      pairs,
      tags: parsed.values.get('tag'),
      untags: parsed.values.get('untag'),
      kind: parsed.values.get('kind')?.[0],
    });
    if ('badPair' in mutation) return false;
    const previewing = session.send(
      [
        { method: 'daemon.hello', params: { client: 'cli:set', protocolVersion: PROTOCOL_VERSION, pid: process.pid } },
        { method: 'mutation.preview', params: { mutation, sync: true } },
      ],
      { silenceMs: PREVIEW_SILENCE_MS },
    );
    // Loaded while the daemon waits for its watcher (the preview is a synced read).
    const renderPlan = parsed.json ? undefined : (await import('./render/render-plan.js')).renderPlan;
    const [hello, preview] = pipelinedResults(await previewing) ?? [];
    if ((hello as { protocolVersion?: number } | undefined)?.protocolVersion !== PROTOCOL_VERSION) return false;
    const plan = preview as PlanSummary;
    if (plan.counts.blockers > 0) return false;
    const print = (text: string): void => void process.stdout.write(`${text}\n`);
    if (renderPlan) print(renderPlan(plan));
    if (nothingToApply(plan)) {
      if (parsed.json) print(JSON.stringify({ plan, applied: false } satisfies MutationOutcome, null, 2));
      return true;
    }
    // The plan just printed, at its revision: the daemon re-plans it in the lane and refuses if anything moved.
    const method = 'mutation.apply';
    const [reply] = (await session.send([
      { method, params: { planId: plan.planId, expectedRevision: plan.baseRevision } },
    ])) ?? [undefined];
    if (reply === undefined || 'error' in reply) {
      await reportError(reply === undefined ? connectionLostError(method) : fromRpcError(reply.error), parsed.json);
      return true;
    }
    const result = reply.result as ApplySummary;
    if (parsed.json) print(JSON.stringify({ plan, applied: true, result } satisfies MutationOutcome, null, 2));
    else print(appliedLine(result));
    const warnings = applyWarnings(result);
    if (warnings.length > 0) {
      const { Errors } = await import('@oclif/core');
      for (const warning of warnings) Errors.warn(warning);
    }
    return true;
  } finally {
    // When this returns false, oclif's client opens a connection of its own.
    session.close();
  }
}

/** A packer error after the apply was sent, reported as the oclif command reports it (same words, code, exit). */
async function reportError(error: Parameters<typeof packerErrorReport>[0], json: boolean): Promise<void> {
  const report = packerErrorReport(error);
  if (json) {
    process.stdout.write(`${JSON.stringify(report.json, null, 2)}\n`);
    process.exitCode = report.exit;
    return;
  }
  const { Errors, handle } = await import('@oclif/core');
  await handle(new Errors.CLIError(report.text, { code: error.code, exit: report.exit }));
}
