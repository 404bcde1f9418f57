import type { Plan } from '@packer/core';
import { isPackerError } from '@packer/core';
import { describe, expect, it } from 'vitest';
import { PlanStore } from './plan-store.js';

function registerPlan(files: number, baseRevision = 3, idPrefix = 'a'): Plan {
  return {
    mutation: { type: 'register', paths: ['assets'] },
    baseRevision,
    blockers: [],
    warnings: [],
    registryMutations: Array.from({ length: files }, (_, index) => ({
      op: 'add' as const,
      entry: { id: `${idPrefix}_${index}`, path: `assets/file-${index}.png`, kind: 'image', settings: {}, tags: [] },
    })),
    filesystemMutations: [],
  } as unknown as Plan;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('Expected a throw, got none.');
}

describe('the plan store holds each plan once', () => {
  it('an applied preview gives its memory up to the applied plan, which its id then pages', () => {
    const plans = new PlanStore();
    const preview = registerPlan(100_000, 3, 'preview');
    const previewId = plans.put(preview);
    const oneBigPlan = plans.bytes;

    const applied = registerPlan(100_000, 3, 'a');
    const appliedId = plans.putApplied(applied, previewId);
    // One 100,000-item plan held, not two (the preview's id is a small pointer now).
    expect(plans.bytes).toBeLessThan(oneBigPlan + 1024);

    const byPreview = plans.get(previewId);
    expect(byPreview).toMatchObject({ planId: previewId, applied: true });
    expect(byPreview.plan).toBe(applied);
    expect(plans.get(appliedId)).toMatchObject({ planId: appliedId, applied: true, plan: applied });
  });

  it('an applied preview whose applied plan was evicted is PLAN_EXPIRED (applied)', () => {
    const plans = new PlanStore({ plans: 3, bytes: 1024 * 1024 * 1024 });
    const previewId = plans.put(registerPlan(1));
    plans.putApplied(registerPlan(1), previewId);
    plans.get(previewId); // most recently used: the applied plan goes first
    plans.put(registerPlan(1));
    plans.put(registerPlan(1));
    const error = thrown(() => plans.get(previewId));
    expect(isPackerError(error, 'PLAN_EXPIRED') && error.data).toMatchObject({ planId: previewId, reason: 'applied' });
  });

  it('finds the preview of a mutation at its revision (for an apply naming the revision, not the plan)', () => {
    const plans = new PlanStore();
    const preview = registerPlan(10, 7);
    const previewId = plans.put(preview);
    expect(plans.find(7, { type: 'register', paths: ['assets'] })?.plan).toBe(preview);
    expect(plans.find(8, { type: 'register', paths: ['assets'] })).toBeUndefined();
    expect(plans.find(7, { type: 'register', paths: ['other'] })).toBeUndefined();
    plans.putApplied(registerPlan(10, 7), previewId);
    // Applied: neither the preview nor the applied plan stands in for a new apply.
    expect(plans.find(7, { type: 'register', paths: ['assets'] })).toBeUndefined();
  });
});
