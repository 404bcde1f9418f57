import { randomBytes } from 'node:crypto';
import { PackerError, type Plan } from '@packer/core';

/** One plan the daemon keeps for paging and applying. */
export interface StoredPlan {
  readonly planId: string;
  readonly plan: Plan;
  /** Set once the plan was applied (or it is an apply's result): it pages, but is not applied again. */
  applied: boolean;
}

export interface PlanStoreLimits {
  /** Plans kept at most (least recently used go first). */
  plans: number;
  /** Estimated bytes of all kept plans together (the newest plan is kept even when it alone is larger). */
  bytes: number;
}

/** The last 16 plans, and at most about 256 MB of them: a 100,000-file add is about 40 MB. */
export const DEFAULT_PLAN_STORE_LIMITS: PlanStoreLimits = { plans: 16, bytes: 256 * 1024 * 1024 };

// Rough in-memory sizes, so the budget needs no serialisation of a 100,000-item plan.
const REGISTRY_MUTATION_BYTES = 400;
const FILESYSTEM_MUTATION_BYTES = 200;
const DIAGNOSTIC_BYTES = 400;

/**
 * The plans the daemon keeps so that no reply grows with a plan: previews and apply results are summarised on
 * the wire and kept here whole under a `planId`, for `plan.items` and `mutation.apply { planId }`. Bounded by
 * count and by estimated size, least recently used evicted first; a plan id that is gone is PLAN_EXPIRED.
 */
export class PlanStore {
  private readonly plans = new Map<string, StoredPlan & { bytes: number }>();
  private totalBytes = 0;

  constructor(private readonly limits: PlanStoreLimits = DEFAULT_PLAN_STORE_LIMITS) {}

  /** Keeps a plan; returns its id. */
  put(plan: Plan, options: { applied?: boolean } = {}): string {
    const planId = `plan_${randomBytes(12).toString('base64url')}`;
    const bytes = estimateBytes(plan);
    this.plans.set(planId, { planId, plan, applied: options.applied ?? false, bytes });
    this.totalBytes += bytes;
    this.evict(planId);
    return planId;
  }

  /** The plan kept under `planId` (now the most recently used); PLAN_EXPIRED when there is none. */
  get(planId: string): StoredPlan {
    const stored = this.plans.get(planId);
    if (!stored) {
      throw new PackerError(
        'PLAN_EXPIRED',
        `The daemon no longer holds plan ${JSON.stringify(planId)}: it keeps only the last ${this.limits.plans} plans, and none across restarts.`,
        {
          planId,
          reason: 'unknown',
          hint: 'Preview the mutation again and use the new plan id.',
        },
      );
    }
    this.plans.delete(planId);
    this.plans.set(planId, stored);
    return stored;
  }

  get size(): number {
    return this.plans.size;
  }

  private evict(keep: string): void {
    for (const [planId, stored] of this.plans) {
      if (this.plans.size <= this.limits.plans && this.totalBytes <= this.limits.bytes) return;
      if (planId === keep) continue;
      this.plans.delete(planId);
      this.totalBytes -= stored.bytes;
    }
  }
}

function estimateBytes(plan: Plan): number {
  return (
    1024 +
    plan.registryMutations.length * REGISTRY_MUTATION_BYTES +
    plan.filesystemMutations.length * FILESYSTEM_MUTATION_BYTES +
    (plan.blockers.length + plan.warnings.length) * DIAGNOSTIC_BYTES
  );
}
