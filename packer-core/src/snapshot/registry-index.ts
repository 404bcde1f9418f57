import type { ProjectConfig } from '../contract/config-schema.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';

/** What a snapshot derives from the registry alone: the same for every watcher change until the registry changes. */
export interface RegistryIndex {
  /** Entries by path; a path claimed twice lists both. */
  byPath: Map<string, RegistryEntry[]>;
  /** Registered paths grouped by their lower-case form. */
  byLowerPath: Map<string, string[]>;
  /** Diagnostics of the entries themselves, per config they were computed for. */
  entryDiagnostics: WeakMap<ProjectConfig, Diagnostic[]>;
}

const cache = new WeakMap<readonly RegistryEntry[], RegistryIndex>();

/**
 * The index of one registry state, memoised on the entries array (a new registry state is a new array).
 * At 100k assets rebuilding these maps on every watcher change cost more than the change itself.
 */
export function registryIndex(entries: readonly RegistryEntry[]): RegistryIndex {
  let index = cache.get(entries);
  if (!index) {
    const byPath = new Map<string, RegistryEntry[]>();
    const byLowerPath = new Map<string, string[]>();
    for (const entry of entries) {
      const list = byPath.get(entry.path);
      if (list) {
        list.push(entry);
        continue;
      }
      byPath.set(entry.path, [entry]);
      const key = entry.path.toLowerCase();
      const same = byLowerPath.get(key);
      if (same) same.push(entry.path);
      else byLowerPath.set(key, [entry.path]);
    }
    index = { byPath, byLowerPath, entryDiagnostics: new WeakMap() };
    cache.set(entries, index);
  }
  return index;
}
