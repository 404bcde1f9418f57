import {
  PackerError,
  PAGE_SIZES,
  PLAN_SUMMARY_LIMITS,
  summarizePlan,
  toPackerError,
  planItems,
  planPageOffset,
  planPageToken,
  type ApplySummary,
  type Mutation,
  type Plan,
} from '@packer/core';
import type { ConnectionContext } from '../connection-context.js';
import type { MethodHandlers } from '../rpc/rpc-server.js';
import { PlanStore, type StoredPlan } from '../plans/plan-store.js';
import type { DaemonServices } from './daemon-services.js';
import { describeMutation } from './describe-mutation.js';
import { readState } from './snapshot-handlers.js';

type MutationMethod = 'mutation.preview' | 'mutation.apply' | 'plan.items';

/**
 * Preview off the lane (pure), apply in the lane; the workspace decides, these translate. No answer or event
 * grows with a plan: plans are kept whole in a PlanStore and travel as summaries (counts, first items, a plan id).
 */
export function createMutationHandlers(
  services: Pick<DaemonServices, 'workspace' | 'lane' | 'syncWithDisk' | 'noteOwnWrites' | 'publishState'>,
  plans = new PlanStore(),
): Pick<MethodHandlers<ConnectionContext>, MutationMethod> {
  const { workspace, lane } = services;
  const summarize = (plan: Plan, options?: { applied?: boolean }) => summarizePlan(plan, plans.put(plan, options));
  return {
    'mutation.preview': async (params) => {
      await readState(services, params.sync);
      // The plan store is the one holder of previews: the workspace keeps none of its own.
      return summarize(workspace.preview(params.mutation, { remember: false }));
    },
    'plan.items': (params) => {
      const { planId, list } = params;
      const { plan } = plans.get(planId);
      const offset = params.page ? planPageOffset(params.page, planId, list) : 0;
      const limit = params.limit ?? PAGE_SIZES['plan.items'].default;
      const { total, items } = planItems(plan, list, offset, limit);
      return {
        planId,
        list,
        total,
        items,
        ...(offset + limit < total ? { nextPage: planPageToken(planId, list, offset + limit) } : {}),
      };
    },
    'mutation.apply': async (params, context) => {
      const { expectedRevision, idempotencyKey } = params;
      const named = params.planId === undefined ? undefined : plans.get(params.planId);
      const mutation = mutationToApply(params.mutation, named);
      if (named) checkNotApplied(named);
      // A mutation applied at the revision it was previewed at is compared with that preview, if still kept.
      const previewed = named ?? (expectedRevision === undefined ? undefined : plans.find(expectedRevision, mutation));
      const { done } = lane.enqueue({
        kind: mutation.type,
        summary: describeMutation(mutation),
        actor: context.actor,
        run: async (operation) => {
          try {
            // Two applies of one plan id may queue together: the second finds it applied.
            if (previewed) checkNotApplied(plans.get(previewed.planId));
            // The workspace re-plans in the lane; when the revision moved since the plan, it compares the re-plan
            // with the plan the person saw and refuses (CONFLICT) if it would do anything else.
            const result = await workspace.apply(mutation, {
              expectedRevision: expectedRevision ?? previewed?.plan.baseRevision,
              idempotencyKey,
              operationId: operation.operationId,
              actor: context.actor,
              signal: operation.signal,
              ...(previewed ? { previewed: previewed.plan } : {}),
            });
            // Noted before the answer: the cookie of a synced read the caller sends next is written after this, so its
            // delivery has these paths observed again first.
            if (!result.replayed && result.revisionAfter !== result.revisionBefore)
              services.noteOwnWrites(changedOnDisk(result.plan));
            // The applied plan (the ids actually registered) takes the preview's place: one plan held, not two.
            const planId = plans.putApplied(result.plan, previewed?.planId);
            const summary: ApplySummary = { ...result, plan: summarizePlan(result.plan, planId) };
            return { revisionAfter: result.revisionAfter, result: summary };
          } catch (error) {
            // The refusal travels as the answer and as the `failed` event: bounded like every plan.
            throw boundedError(error, summarize);
          } finally {
            services.publishState(mutation.type);
          }
        },
      });
      return done;
    },
  };
}

function mutationToApply(mutation: Mutation | undefined, previewed: StoredPlan | undefined): Mutation {
  if (previewed && mutation) {
    throw new PackerError('INVALID_PARAMS', 'Pass either `planId` or `mutation` to mutation.apply, not both.', {
      hint: 'Apply a previewed plan by its planId alone.',
    });
  }
  const chosen = previewed?.plan.mutation ?? mutation;
  if (!chosen) {
    throw new PackerError(
      'INVALID_PARAMS',
      'mutation.apply needs a `planId` (from mutation.preview) or a `mutation`.',
      {
        issues: [{ path: 'planId', message: 'Required (or pass mutation)' }],
      },
    );
  }
  return chosen;
}

/** The paths an applied plan changed on disk: both ends of each move, each deleted file. */
function changedOnDisk(plan: Plan): string[] {
  return plan.filesystemMutations.flatMap((step) => (step.op === 'move' ? [step.from, step.to] : [step.path]));
}

/** A plan id is applied once: its result has a plan id of its own. */
function checkNotApplied(previewed: StoredPlan): void {
  const { planId, plan, applied } = previewed;
  if (applied) {
    throw new PackerError('PLAN_EXPIRED', `Plan ${planId} was already applied.`, {
      planId,
      reason: 'applied',
      baseRevision: plan.baseRevision,
      hint: 'Preview again for a new plan.',
    });
  }
}

/**
 * An apply's refusal with its plan summarised (and kept, so the new plan can be paged or applied) and its lists
 * of diagnostics or changes capped.
 */
function boundedError(error: unknown, summarize: (plan: Plan) => ApplySummary['plan']): PackerError {
  const packerError = toPackerError(error);
  const data = packerError.data as Record<string, unknown> & { plan?: Plan };
  const lists = ['blockers', 'warnings', 'changes'].filter(
    (key) => Array.isArray(data[key]) && (data[key] as unknown[]).length > PLAN_SUMMARY_LIMITS.diagnostics,
  );
  if (!data.plan && lists.length === 0) return packerError;
  const bounded: Record<string, unknown> = { ...data };
  if (data.plan) bounded.plan = summarize(data.plan);
  for (const key of lists) bounded[key] = (data[key] as unknown[]).slice(0, PLAN_SUMMARY_LIMITS.diagnostics);
  return new PackerError(packerError.code, packerError.message, bounded, {
    cause: packerError.cause ?? error,
  });
}
