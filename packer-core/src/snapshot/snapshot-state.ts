import type { ProjectConfig } from '../contract/config-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView, Snapshot, UntrackedFile } from '../contract/snapshot-schema.js';
import type { FileStat } from '../scan/scanner.js';

/**
 * One published state: the contract-shaped snapshot plus the indexes the packer plans with.
 * Immutable: a commit publishes a new object; readers keep the one they started with.
 */
export interface SnapshotState {
  readonly snapshot: Snapshot;
  readonly config: ProjectConfig;
  /** Registry entries as loaded (empty when the registry is read-only). */
  readonly entries: readonly RegistryEntry[];
  readonly byId: ReadonlyMap<string, AssetView>;
  readonly byPath: ReadonlyMap<string, AssetView>;
  readonly untrackedByPath: ReadonlyMap<string, UntrackedFile>;
  /** Every observed file under the asset roots. */
  readonly files: ReadonlyMap<string, FileStat>;
  readonly escapes: readonly string[];
}
