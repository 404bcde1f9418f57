import { z } from 'zod';
import { method, paging, SyncRead } from './method-definition.js';
import { ApplyOptions, ApplySummary, Mutation, PlanItem, PlanList, PlanSummary } from './mutation-schema.js';
import { PAGE_SIZES } from './runtime-constants.js';

/** Mutations: preview a plan, page through it, apply it. */
export const MutationMethods = {
  'mutation.preview': method(
    SyncRead.extend({ mutation: Mutation }),
    PlanSummary,
    'The plan a mutation would apply, summarised (counts, the first items, blockers): the daemon keeps the whole ' +
      'plan under `planId` (page it with plan.items, apply it with mutation.apply). Changes nothing.',
  ),
  'plan.items': method(
    z.object({
      /** From mutation.preview (or an apply's result, or a CONFLICT's `data.plan`). */
      planId: z.string().min(1),
      /** Which list of the plan. */
      list: PlanList,
      ...paging(PAGE_SIZES['plan.items']),
    }),
    z.object({
      planId: z.string(),
      list: PlanList,
      total: z.number().int(),
      items: z.array(PlanItem),
      nextPage: z.string().optional(),
    }),
    'One page of a plan the daemon keeps: its registry or filesystem mutations, blockers or warnings, in plan order. ' +
      'PLAN_EXPIRED when the daemon no longer holds the plan.',
  ),
  'mutation.apply': method(
    ApplyOptions.extend({
      /** The plan to apply, from mutation.preview: the daemon re-plans its mutation in the lane and refuses when the
       * revision moved on. */
      planId: z.string().min(1).optional(),
      /** The mutation to apply (instead of `planId`). */
      mutation: Mutation.optional(),
    }),
    ApplySummary,
    'Run a mutation (by `planId`, or given whole) through the write lane: re-plans against the current state, refuses ' +
      'on blockers, or (CONFLICT) when the revision moved and the re-plan differs from the previewed plan; PLAN_EXPIRED ' +
      'for a plan id the daemon no longer holds or already applied. Commits atomically; answers with the applied plan summarised.',
  ),
} as const;
