import type { Plan, PlanItem, PlanList, PlanSummary } from '../contract/mutation-schema.js';
import { PackerError } from '../contract/errors.js';
import { planCounts } from '../contract/plan-counts.js';
import { PLAN_SUMMARY_LIMITS } from '../contract/runtime-constants.js';

export { planCounts };

/**
 * A plan as it travels: the first items of each list, the counts of all of them, and the id under which the
 * whole plan is kept. Its size does not depend on the plan's (PLAN_SUMMARY_LIMITS).
 */
export function summarizePlan(plan: Plan, planId: string): PlanSummary {
  const counts = planCounts(plan);
  const { items, diagnostics } = PLAN_SUMMARY_LIMITS;
  return {
    ...plan,
    planId,
    registryMutations: plan.registryMutations.slice(0, items),
    filesystemMutations: plan.filesystemMutations.slice(0, items),
    blockers: plan.blockers.slice(0, diagnostics),
    warnings: plan.warnings.slice(0, diagnostics),
    counts,
    truncated:
      counts.registryMutations > items ||
      counts.filesystemMutations > items ||
      counts.blockers > diagnostics ||
      counts.warnings > diagnostics,
    nextPages: {
      ...(counts.registryMutations > items
        ? { registryMutations: planPageToken(planId, 'registryMutations', items) }
        : {}),
      ...(counts.filesystemMutations > items
        ? { filesystemMutations: planPageToken(planId, 'filesystemMutations', items) }
        : {}),
      ...(counts.blockers > diagnostics ? { blockers: planPageToken(planId, 'blockers', diagnostics) } : {}),
      ...(counts.warnings > diagnostics ? { warnings: planPageToken(planId, 'warnings', diagnostics) } : {}),
    },
  };
}

/** The `plan.items` page token of a plan list from `offset` on (a kept plan never changes, so an offset is enough). */
export function planPageToken(planId: string, list: PlanList, offset: number): string {
  return `${planId}/${list}:${offset}`;
}

/** The offset in a `planPageToken`; INVALID_PARAMS when the token is not one for this plan and list. */
export function planPageOffset(token: string, planId: string, list: PlanList): number {
  const prefix = `${planId}/${list}:`;
  const offset = token.startsWith(prefix) ? token.slice(prefix.length) : '';
  if (!/^\d+$/.test(offset)) {
    throw new PackerError(
      'INVALID_PARAMS',
      `Invalid page token ${JSON.stringify(token)} for the ${list} of plan ${planId}: pass the "nextPage" value of the previous answer.`,
      { page: token },
    );
  }
  return Number(offset);
}

/** One slice of a plan list, in plan order. */
export function planItems(
  plan: Plan,
  list: PlanList,
  offset: number,
  limit: number,
): { total: number; items: PlanItem[] } {
  const all: readonly PlanItem[] = plan[list];
  return { total: all.length, items: all.slice(offset, offset + limit) };
}
