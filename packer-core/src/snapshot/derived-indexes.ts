import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { AssetView, UntrackedFile } from '../contract/snapshot-schema.js';
import type { DiagnosticBook } from './diagnostic-book.js';
import type { OutsideMoves } from './find-outside-moves.js';
import type { OneOrMany } from './one-or-many.js';
import type { PersistentMap } from './persistent-map.js';

/**
 * Everything a snapshot derives from (registry, observation), kept so that the next revision recomputes only
 * what the touched paths and ids take part in. All persistent: a state's indexes never change after publication.
 */
export interface DerivedIndexes {
  readonly registryOk: boolean;
  readonly extra: readonly Diagnostic[];
  readonly escapes: readonly string[];
  readonly entryById: PersistentMap<RegistryEntry>;
  /** Path → the entry claiming it, or the entries sorted by id (more than one is a DUPLICATE_PATH): see `listOf`. */
  readonly claims: PersistentMap<OneOrMany<RegistryEntry>>;
  readonly views: PersistentMap<AssetView>;
  readonly viewsByPath: PersistentMap<AssetView>;
  readonly untracked: PersistentMap<UntrackedFile>;
  /** Untracked paths by file size (base 36), where an outside move's identical content is looked for. */
  readonly untrackedBySize: PersistentMap<readonly string[]>;
  /** Lower-case path → the registered paths (one, or a sorted list) and the untracked paths of that form
   * (CASE_COLLISION groups). */
  readonly lowerRegistered: PersistentMap<OneOrMany<string>>;
  readonly lowerUntracked: PersistentMap<readonly string[]>;
  /** Registered entries whose file is not observed, keyed `path\0id`. */
  readonly missing: PersistentMap<RegistryEntry>;
  /** Unregistered sidecar files whose owner is not on disk → their possible owners. */
  readonly orphans: PersistentMap<readonly string[]>;
  readonly book: DiagnosticBook;
  readonly moves: OutsideMoves;
  readonly moveTargets: ReadonlySet<string>;
  readonly counts: {
    readonly byKind: Readonly<Record<string, number>>;
    readonly present: number;
    readonly missing: number;
    readonly totalBytes: number;
  };
}
