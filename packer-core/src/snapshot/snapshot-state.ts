import type { ProjectConfig } from '../contract/config-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView, Snapshot, UntrackedFile } from '../contract/snapshot-schema.js';
import type { FileStat } from '../scan/scanner.js';
import type { DerivedIndexes } from './derived-indexes.js';
import type { PersistentMap } from './persistent-map.js';

/**
 * One published state: the contract-shaped snapshot plus the indexes the packer plans with.
 * Immutable: a commit publishes a new object; readers keep the one they started with. The maps are persistent
 * (see persistent-map.ts): the next state shares every part a change did not touch, so holding an old state
 * costs little and never shows a newer one.
 */
export interface SnapshotState {
  readonly snapshot: Snapshot;
  readonly config: ProjectConfig;
  /** Registry entries as loaded (empty when the registry is read-only). */
  readonly entries: readonly RegistryEntry[];
  readonly byId: ReadonlyMap<string, AssetView>;
  readonly byPath: ReadonlyMap<string, AssetView>;
  readonly untrackedByPath: ReadonlyMap<string, UntrackedFile>;
  /** Every observed file under the asset roots, in path order. */
  readonly files: PersistentMap<FileStat>;
  readonly escapes: readonly string[];
  /** What the next revision is derived from incrementally (build-snapshot.ts); not for planners. */
  readonly derived: DerivedIndexes;
}
