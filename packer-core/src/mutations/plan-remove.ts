import type { z } from 'zod';
import type { RemoveMutation } from '../contract/mutation-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { resolveAssets, type PlanBuilder, type PlanContext } from './plan-context.js';
import { entryOf } from './registry-entry.js';

/** Unregisters assets (ids, files or folders); with `deleteFiles`, deletes their files too. */
export function planRemove(builder: PlanBuilder, context: PlanContext, mutation: z.infer<typeof RemoveMutation>): void {
  const chosen = new Map<string, AssetView>();
  for (const target of mutation.targets) {
    for (const asset of resolveAssets(builder, context, target).assets) chosen.set(asset.id, asset);
  }
  for (const asset of [...chosen.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    builder.registryMutations.push({ op: 'remove', entry: entryOf(asset) });
    if (mutation.deleteFiles && asset.status === 'present') builder.filesystemMutations.push({ op: 'delete', path: asset.path });
  }
}
