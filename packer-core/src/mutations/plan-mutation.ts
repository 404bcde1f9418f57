import type { Mutation, Plan } from '../contract/mutation-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import { PlanBuilder, type PlanContext } from './plan-context.js';
import { planMove } from './plan-move.js';
import { planReconcile } from './plan-reconcile.js';
import { planRegister } from './plan-register.js';
import { planRelink } from './plan-relink.js';
import { planRemove } from './plan-remove.js';
import { planUpdate } from './plan-update.js';

/** The pure preview of any mutation against one snapshot state: no side effects, same input → same plan (ids aside). */
export function planMutation(context: PlanContext, mutation: Mutation): Plan {
  const builder = new PlanBuilder(context, mutation);
  switch (mutation.type) {
    case 'register':
      planRegister(builder, context, mutation);
      break;
    case 'move':
      planMove(builder, context, mutation);
      break;
    case 'remove':
      planRemove(builder, context, mutation);
      break;
    case 'update':
      planUpdate(builder, context, mutation);
      break;
    case 'reconcile':
      planReconcile(builder, context, mutation);
      break;
    case 'relink':
      planRelink(builder, context, mutation);
      break;
  }
  return builder.finish();
}

/** Applies a plan's registry mutations to a list of entries (pure). */
export function applyRegistryMutations(
  entries: readonly RegistryEntry[],
  plan: Pick<Plan, 'registryMutations'>,
): RegistryEntry[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  for (const change of plan.registryMutations) {
    if (change.op === 'add') byId.set(change.entry.id, change.entry);
    else if (change.op === 'remove') byId.delete(change.entry.id);
    else byId.set(change.after.id, change.after);
  }
  return [...byId.values()];
}
