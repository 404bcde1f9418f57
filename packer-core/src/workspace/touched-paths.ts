import type { Mutation, Plan } from '../contract/mutation-schema.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';

/** Paths a mutation's plan reads from disk: re-observed right before applying, so no plan rests on a stale view. */
export function pathsToReobserve(plan: Plan, mutation: Mutation, state: SnapshotState): string[] {
  const paths = new Set<string>();
  for (const step of plan.filesystemMutations) {
    if (step.op === 'move') {
      paths.add(step.from);
      paths.add(step.to);
    } else {
      paths.add(step.path);
    }
  }
  for (const change of plan.registryMutations) {
    if (change.op === 'add' || change.op === 'remove') paths.add(change.entry.path);
    else {
      paths.add(change.before.path);
      paths.add(change.after.path);
    }
  }
  if (mutation.type === 'reconcile') {
    for (const entry of state.snapshot.divergence) {
      if (entry.type === 'moved') {
        paths.add(entry.from);
        paths.add(entry.to);
      } else {
        paths.add(entry.path);
      }
    }
  }
  return [...paths];
}

/** Paths a committed plan changed on disk. */
export function pathsChangedOnDisk(plan: Plan): string[] {
  return plan.filesystemMutations.flatMap((step) => (step.op === 'move' ? [step.from, step.to] : [step.path]));
}
