import type { Plan, PlanCounts } from './mutation-schema.js';

/**
 * Counts of a whole plan, by kind of change: what a plan summary reports beside its first items. Zod-free, so a
 * client that holds a whole plan (the in-process path) shows the very counts the daemon would have sent.
 */
export function planCounts(plan: Plan): PlanCounts {
  const registry = { add: 0, remove: 0, update: 0 };
  for (const change of plan.registryMutations) registry[change.op] += 1;
  const filesystem = { move: 0, delete: 0 };
  for (const change of plan.filesystemMutations) filesystem[change.op] += 1;
  return {
    registryMutations: plan.registryMutations.length,
    filesystemMutations: plan.filesystemMutations.length,
    blockers: plan.blockers.length,
    warnings: plan.warnings.length,
    registry,
    filesystem,
  };
}
