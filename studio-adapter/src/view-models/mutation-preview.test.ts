import { describe, expect, it } from 'vitest';
import type { MethodResult, PlanSummary, RegistryMutation } from '@packer/core/contract';
import { mutationPreviewPanel, withPlanPage } from './mutation-preview.js';

const add = (index: number): RegistryMutation => ({
  op: 'add',
  entry: { id: `a_${index}`, path: `assets/f${index}.png`, kind: 'image', settings: {}, tags: [] },
});

describe('mutation preview panel of a big plan', () => {
  // What the daemon answers for a 100,000-file add: the first 100 changes, the counts, and where the rest is.
  const summary: PlanSummary = {
    planId: 'plan_x',
    mutation: { type: 'register', paths: ['assets'] },
    baseRevision: 3,
    blockers: [],
    warnings: [],
    registryMutations: Array.from({ length: 100 }, (_, index) => add(index)),
    filesystemMutations: [],
    counts: {
      registryMutations: 100_000,
      filesystemMutations: 0,
      blockers: 0,
      warnings: 0,
      registry: { add: 100_000, remove: 0, update: 0 },
      filesystem: { move: 0, delete: 0 },
    },
    truncated: true,
    nextPages: { registryMutations: 'plan_x/registryMutations:100' },
  };

  it("shows the packer's counts and the rows it sent, and knows where the next rows are", () => {
    const panel = mutationPreviewPanel(summary);
    expect(panel.planId).toBe('plan_x');
    expect(panel.blocked).toBe(false);
    expect(panel.registryRows).toHaveLength(100);
    expect(panel.registryCounts).toEqual({ add: 100_000, remove: 0, update: 0 });
    expect(panel.lists.registryMutations).toEqual({
      total: 100_000,
      shown: 100,
      nextPage: 'plan_x/registryMutations:100',
    });
    expect(panel.lists.filesystemMutations).toEqual({ total: 0, shown: 0 });
  });

  it('adds the rows of a plan.items page after those shown, with unique keys', () => {
    const page: MethodResult<'plan.items'> = {
      planId: 'plan_x',
      list: 'registryMutations',
      total: 100_000,
      items: Array.from({ length: 50 }, (_, index) => add(100 + index)),
      nextPage: 'plan_x/registryMutations:150',
    };
    const panel = withPlanPage(mutationPreviewPanel(summary), page);
    expect(panel.registryRows).toHaveLength(150);
    expect(panel.registryRows[100]!.path).toBe('assets/f100.png');
    expect(new Set(panel.registryRows.map((row) => row.key)).size).toBe(150);
    expect(panel.lists.registryMutations).toEqual({
      total: 100_000,
      shown: 150,
      nextPage: 'plan_x/registryMutations:150',
    });
  });
});
