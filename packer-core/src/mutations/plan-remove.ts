import type { z } from 'zod';
import type { RemoveMutation } from '../contract/mutation-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { resolveAssets, type PlanBuilder, type PlanContext } from './plan-context.js';
import { entryOf } from './registry-entry.js';
import { planSidecarDeletes } from './sidecars.js';

/** Unregisters assets (ids, files or folders); with `deleteFiles`, deletes their files and their sidecars too. */
export function planRemove(builder: PlanBuilder, context: PlanContext, mutation: z.infer<typeof RemoveMutation>): void {
  const chosen = new Map<string, AssetView>();
  for (const target of mutation.targets) {
    for (const asset of resolveAssets(builder, context, target).assets) chosen.set(asset.id, asset);
  }
  const sorted = [...chosen.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const removedIds = new Set(chosen.keys());
  const deleted = new Set(
    mutation.deleteFiles ? sorted.filter((asset) => asset.status === 'present').map((asset) => asset.path) : [],
  );
  for (const asset of sorted) {
    builder.registryMutations.push({ op: 'remove', entry: entryOf(asset) });
    if (!mutation.deleteFiles) continue; // without deleteFiles the files stay, sidecars included
    if (asset.status === 'present') builder.filesystemMutations.push({ op: 'delete', path: asset.path });
    planSidecarDeletes(builder, context, asset, deleted, removedIds);
  }
}
