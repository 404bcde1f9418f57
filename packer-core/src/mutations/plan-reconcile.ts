import type { z } from 'zod';
import type { ReconcileMutation } from '../contract/mutation-schema.js';
import { kindClassifier } from '../config/classify-kind.js';
import { newAssetId } from '../ids/asset-id.js';
import type { PlanBuilder, PlanContext } from './plan-context.js';
import { entryOf } from './registry-entry.js';
import { reportUnsupportedNames } from './unsupported-names.js';

/**
 * Proposes actions from the snapshot's divergence: relink outside moves (the id survives), drop assets whose
 * file is gone, adopt untracked files. Ambiguous matches are blockers. Nothing runs unless applied.
 */
export function planReconcile(builder: PlanBuilder, context: PlanContext, mutation: z.infer<typeof ReconcileMutation>): void {
  const { state } = context;
  const include = new Set(mutation.include ?? ['adopt', 'drop', 'relink']);
  const classify = kindClassifier(state.config);
  if (include.has('drop') || include.has('relink')) {
    for (const item of state.snapshot.diagnostics) if (item.code === 'AMBIGUOUS_MATCH') builder.report(item);
  }
  // Adopting "every untracked file" while some cannot be held would silently leave them out.
  if (include.has('adopt')) reportUnsupportedNames(builder, state);
  const ambiguous = new Set(state.snapshot.diagnostics.filter((item) => item.code === 'AMBIGUOUS_MATCH').map((item) => item.assetId));
  for (const entry of state.snapshot.divergence) {
    if (entry.type === 'moved' && include.has('relink')) {
      const asset = state.byId.get(entry.assetId)!;
      const before = entryOf(asset);
      builder.registryMutations.push({ op: 'update', before, after: { ...before, path: entry.to } });
    } else if (entry.type === 'missing' && include.has('drop') && !ambiguous.has(entry.assetId)) {
      builder.registryMutations.push({ op: 'remove', entry: entryOf(state.byId.get(entry.assetId)!) });
    } else if (entry.type === 'untracked' && include.has('adopt')) {
      builder.registryMutations.push({ op: 'add', entry: { id: newAssetId(), path: entry.path, kind: classify(entry.path), settings: {}, tags: [] } });
    }
  }
}
