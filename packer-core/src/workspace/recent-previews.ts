import type { Plan } from '../contract/mutation-schema.js';

/** Previews kept: enough for the clients previewing at once; each is only needed until its apply. */
const KEPT = 16;

/**
 * The last plans `preview` produced, by (revision, mutation): an apply that names the revision it previewed
 * (`expectedRevision`) but not the plan itself can still be compared by what it does when the revision moved
 * on. Oldest first out; a forgotten preview only means the apply falls back to comparing revisions.
 */
export class RecentPreviews {
  private readonly plans = new Map<string, Plan>();

  remember(mutationHash: string, plan: Plan): void {
    const key = keyOf(plan.baseRevision, mutationHash);
    this.plans.delete(key);
    this.plans.set(key, plan);
    if (this.plans.size > KEPT) this.plans.delete(this.plans.keys().next().value!);
  }

  find(revision: number, mutationHash: string): Plan | undefined {
    return this.plans.get(keyOf(revision, mutationHash));
  }
}

function keyOf(revision: number, mutationHash: string): string {
  return `${revision}:${mutationHash}`;
}
