import { randomBytes } from 'node:crypto';
import { PackerError, type Mutation, type Plan } from '@packer/core';

/** One plan the daemon keeps for paging and applying. */
export interface StoredPlan {
  readonly planId: string;
  readonly plan: Plan;
  /** Set once the plan was applied (or it is an apply's result): it pages, but is not applied again. */
  readonly applied: boolean;
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

/** A kept plan, or what is left of an applied preview: the id of its apply's plan, which pages in its place. */
type Kept =
  | { readonly planId: string; readonly plan: Plan; readonly applied: boolean; readonly bytes: number }
  | { readonly planId: string; readonly appliedAs: string; readonly baseRevision: number; readonly bytes: number };

/**
 * The plans the daemon keeps so that no reply grows with a plan: previews and apply results are summarised on
 * the wire and kept here whole under a `planId`, for `plan.items` and `mutation.apply { planId }`. Bounded by
 * count and by estimated size, least recently used evicted first; a plan id that is gone is PLAN_EXPIRED.
 * The only holder of plans in the daemon: an applied preview gives its memory up to its apply's plan (the ids
 * actually registered), and the workspace remembers no previews of its own (`preview(…, { remember: false })`).
 */
export class PlanStore {
  private readonly plans = new Map<string, Kept>();
  private totalBytes = 0;

  constructor(private readonly limits: PlanStoreLimits = DEFAULT_PLAN_STORE_LIMITS) {}

  /** Keeps a plan; returns its id. */
  put(plan: Plan, options: { applied?: boolean } = {}): string {
    const planId = newPlanId();
    this.keep({ planId, plan, applied: options.applied ?? false, bytes: estimateBytes(plan) });
    return planId;
  }

  /**
   * Keeps an apply's plan in place of the preview it applied (when given): the preview's id then pages the applied
   * plan and refuses a second apply, without a second 100,000-item plan held for it. Returns the new plan's id.
   */
  putApplied(plan: Plan, preview?: string): string {
    const planId = this.put(plan, { applied: true });
    const previewed = preview === undefined ? undefined : this.plans.get(preview);
    if (previewed && 'plan' in previewed) {
      this.totalBytes -= previewed.bytes;
      const tombstone = { planId: previewed.planId, appliedAs: planId, baseRevision: previewed.plan.baseRevision };
      this.plans.set(previewed.planId, { ...tombstone, bytes: 256 });
      this.totalBytes += 256;
    }
    return planId;
  }

  /** The plan kept under `planId` (now the most recently used); PLAN_EXPIRED when there is none. */
  get(planId: string): StoredPlan {
    const stored = this.plans.get(planId);
    if (!stored) throw expired(planId, this.limits.plans);
    this.plans.delete(planId);
    this.plans.set(planId, stored);
    if ('plan' in stored) return stored;
    // An applied preview pages the plan its apply carried out, as long as that one is kept.
    const applied = this.plans.get(stored.appliedAs);
    if (!applied || !('plan' in applied)) {
      throw new PackerError('PLAN_EXPIRED', `Plan ${planId} was already applied.`, {
        planId,
        reason: 'applied',
        baseRevision: stored.baseRevision,
        hint: 'Preview again for a new plan.',
      });
    }
    return { planId, plan: applied.plan, applied: true };
  }

  /**
   * A preview not yet applied of `mutation` at `revision`, for an apply that names the revision it previewed but not
   * the plan: the apply compares what it would do now with what was shown.
   */
  find(revision: number, mutation: Mutation): StoredPlan | undefined {
    let text: string | undefined;
    for (const stored of [...this.plans.values()].reverse()) {
      if (!('plan' in stored) || stored.applied) continue;
      const { plan } = stored;
      if (plan.baseRevision !== revision || plan.mutation.type !== mutation.type) continue;
      // Only candidates of the same revision and type are serialised (both parsed by one schema: same key order).
      text ??= JSON.stringify(mutation);
      if (JSON.stringify(plan.mutation) === text) return stored;
    }
    return undefined;
  }

  get size(): number {
    return this.plans.size;
  }

  /** Estimated bytes of the plans kept (what the byte limit bounds). */
  get bytes(): number {
    return this.totalBytes;
  }

  private keep(kept: Kept): void {
    this.plans.set(kept.planId, kept);
    this.totalBytes += kept.bytes;
    for (const [planId, stored] of this.plans) {
      if (this.plans.size <= this.limits.plans && this.totalBytes <= this.limits.bytes) return;
      if (planId === kept.planId) continue;
      this.plans.delete(planId);
      this.totalBytes -= stored.bytes;
    }
  }
}

function newPlanId(): string {
  return `plan_${randomBytes(12).toString('base64url')}`;
}

function expired(planId: string, plans: number): PackerError {
  return new PackerError(
    'PLAN_EXPIRED',
    `The daemon no longer holds plan ${JSON.stringify(planId)}: it keeps only the last ${plans} plans, and none across restarts.`,
    { planId, reason: 'unknown', hint: 'Preview the mutation again and use the new plan id.' },
  );
}

function estimateBytes(plan: Plan): number {
  return (
    1024 +
    plan.registryMutations.length * REGISTRY_MUTATION_BYTES +
    plan.filesystemMutations.length * FILESYSTEM_MUTATION_BYTES +
    (plan.blockers.length + plan.warnings.length) * DIAGNOSTIC_BYTES
  );
}
