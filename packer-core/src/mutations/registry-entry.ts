import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';

/** The registry entry behind an asset view. */
export function entryOf(asset: AssetView): RegistryEntry {
  return { id: asset.id, path: asset.path, kind: asset.kind, settings: { ...asset.settings }, tags: [...asset.tags] };
}

/** Sorted, de-duplicated tags, each in its one form (NFC, trimmed): see contract/tag-name.ts. */
export { normalizeTagList as normalizeTags } from '../contract/tag-name.js';
