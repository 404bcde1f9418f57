import { describe, expect, it } from 'vitest';
import { isPackerError } from '../contract/errors.js';
import { makeTempProject } from '../testing/temp-project.js';
import { Workspace } from './workspace.js';

describe('a CONFLICT refusal', () => {
  it('carries the expected and current revision and what changed: the plan the mutation makes now', async () => {
    const root = makeTempProject({ 'assets/text/a.txt': 'a', 'assets/text/b.txt': 'b' });
    const workspace = await Workspace.open(root);
    try {
      await workspace.apply({ type: 'register', paths: ['assets/text/a.txt'] });
      const preview = workspace.preview({ type: 'register', paths: ['assets/text'] });
      expect(preview.registryMutations).toHaveLength(1);
      // Someone else registers b.txt in between: the preview's revision is gone, and so is half of its plan.
      await workspace.apply({ type: 'register', paths: ['assets/text/b.txt'] });
      const refusal = await workspace
        .apply(preview.mutation, { expectedRevision: preview.baseRevision })
        .catch((error: unknown) => error);
      if (!isPackerError(refusal, 'CONFLICT')) throw new Error(`expected CONFLICT, got ${String(refusal)}`);
      expect(refusal.data.expectedRevision).toBe(preview.baseRevision);
      expect(refusal.data.currentRevision).toBe(workspace.snapshot.revision);
      expect(refusal.data.plan?.baseRevision).toBe(workspace.snapshot.revision);
      expect(refusal.data.plan?.registryMutations).toEqual([]);
    } finally {
      await workspace.close();
    }
  });
});
