import type { Diagnostic } from '../contract/diagnostics.js';
import type { RegistryEntry } from '../contract/registry-schema.js';
import type { UntrackedFile } from '../contract/snapshot-schema.js';
import type { DigestCache } from '../digest/digest-cache.js';
import { diagnostic } from './diagnostic.js';

/**
 * Pairs missing assets with untracked files that hold their last known content (same size and sha256).
 * A pair counts only when it is unique both ways; anything else is an AMBIGUOUS_MATCH blocker for the
 * user to settle. The caller hashes same-size untracked files first, so their digests are known here.
 */
export function findOutsideMoves(
  missing: readonly RegistryEntry[],
  untracked: readonly UntrackedFile[],
  digests: Pick<DigestCache, 'lastKnown'>,
): { moved: Map<string, string>; ambiguous: Diagnostic[] } {
  const moved = new Map<string, string>();
  const ambiguous: Diagnostic[] = [];
  if (missing.length === 0 || untracked.length === 0) return { moved, ambiguous };
  const bySize = new Map<number, UntrackedFile[]>();
  for (const file of untracked) {
    const list = bySize.get(file.observation.size);
    if (list) list.push(file);
    else bySize.set(file.observation.size, [file]);
  }
  const candidates = new Map<string, string[]>();
  const claims = new Map<string, string[]>();
  for (const entry of missing) {
    const known = digests.lastKnown(entry.path);
    if (!known) continue;
    const matches = (bySize.get(known.size) ?? []).filter((file) => file.observation.digest === known.digest);
    if (matches.length === 0) continue;
    candidates.set(entry.id, matches.map((file) => file.path));
    for (const file of matches) claims.set(file.path, [...(claims.get(file.path) ?? []), entry.id]);
  }
  for (const entry of missing) {
    const paths = candidates.get(entry.id);
    if (!paths) continue;
    const only = paths.length === 1 ? paths[0]! : undefined;
    if (only && claims.get(only)?.length === 1) {
      moved.set(entry.id, only);
      continue;
    }
    ambiguous.push(diagnostic('AMBIGUOUS_MATCH', `${entry.path} is missing and its content matches more than one file or asset: ${paths.join(', ')}.`,
      { assetId: entry.id, path: entry.path }, 'Move the file back by hand, or use `packer mv`/`packer rm` to settle which file the asset is.'));
  }
  return { moved, ambiguous };
}
