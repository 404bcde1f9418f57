import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView } from '../contract/snapshot-schema.js';
import { normalizeTagList } from '../contract/tag-name.js';
import { isEmptyRecord, NO_SETTINGS, NO_TAGS } from '../registry/registry-lines.js';

/** The registry entry behind an asset view. */
export function entryOf(asset: AssetView): RegistryEntry {
  return {
    id: asset.id,
    path: asset.path,
    kind: asset.kind,
    settings: isEmptyRecord(asset.settings) ? NO_SETTINGS : { ...asset.settings },
    tags: asset.tags.length === 0 ? NO_TAGS : [...asset.tags],
  };
}

/**
 * The entry a plan adds for a newly registered file. No settings and no tags are the registry's shared frozen ones,
 * not an object and an array per entry: an add of 100,000 files is held by its preview and its re-plan at once
 * (issue 11: daemon memory under load).
 */
export function newEntry(id: string, path: string, kind: string, tags: readonly string[] = []): RegistryEntry {
  const normalized = tags.length === 0 ? NO_TAGS : normalizeTagList(tags);
  return { id, path, kind, settings: NO_SETTINGS, tags: normalized.length === 0 ? NO_TAGS : normalized };
}

/** Sorted, de-duplicated tags, each in its one form (NFC, trimmed): see contract/tag-name.ts. */
export { normalizeTagList as normalizeTags } from '../contract/tag-name.js';
