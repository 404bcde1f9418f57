import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';

/** The registry entry behind an asset view. */
export function entryOf(asset: AssetView): RegistryEntry {
  return { id: asset.id, path: asset.path, kind: asset.kind, settings: { ...asset.settings }, tags: [...asset.tags] };
}

/** Sorted, de-duplicated tags. */
export function normalizeTags(tags: Iterable<string>): string[] {
  return [...new Set(tags)].sort();
}
