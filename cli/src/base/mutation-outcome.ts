import type { ApplySummary, PlanSummary } from '@packer/core/contract';

// No oclif here: the oclif mutation commands and the lean path of `packer set` (src/lean-set.ts) print the same.

/** The packer's plan, and whether (and how) it was applied: what a mutation command returns, and prints with --json. */
export interface MutationOutcome {
  /** The packer's summary of the plan (counts, the first items); `--all` or `--ndjson` page through the rest. */
  plan: PlanSummary;
  applied: boolean;
  result?: ApplySummary;
}

/** True when the packer found nothing to change and nothing that blocks: there is nothing to confirm or apply. */
export function nothingToApply(plan: PlanSummary): boolean {
  return plan.counts.blockers === 0 && plan.counts.registryMutations === 0 && plan.counts.filesystemMutations === 0;
}

/** The line that says an apply happened. */
export function appliedLine(result: ApplySummary): string {
  return `Applied: revision ${result.revisionBefore} → ${result.revisionAfter} (operation ${result.operationId}).`;
}

/** The change happened, but something after its commit point failed: each warning says so (nobody applies it twice). */
export function applyWarnings(result: ApplySummary): string[] {
  return (result.warnings ?? []).map((warning) => `${warning.message} ${warning.hint ?? ''}`.trim());
}
