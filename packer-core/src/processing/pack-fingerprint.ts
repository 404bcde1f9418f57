import { createHash } from 'node:crypto';
import { PACK_FORMAT_VERSION } from '../contract/build-schema.js';
import type { PlannedPack } from './plan-build.js';

// Bump when what the fingerprint covers changes, so that no build trusts a fingerprint taken the old way.
const FINGERPRINT_FORMAT = 1;

/**
 * A pack's input fingerprint: sha256 over the pack format, the project and pack names, and each entry as planned
 * (asset id, output name, source path, kind, and the cache key, which covers the input content digest, the
 * processor id and version, the settings and a tool's command). Equal fingerprints give byte-identical packs, so
 * a pack whose fingerprint is the one it was last built from, and whose files are untouched, is not written
 * again, nor are its inputs read. One pass over the planned entries: no file is read or hashed (`PackPlan` keeps the
 * result while the pack's selection is the same).
 */
export function packInputFingerprint(pack: PlannedPack, project: string): string {
  const hash = createHash('sha256').update(
    JSON.stringify([FINGERPRINT_FORMAT, PACK_FORMAT_VERSION, project, pack.name, pack.entries.length]),
  );
  // NUL never occurs in a path, an id, a kind or a hex key; hashing in chunks keeps the calls few.
  let chunk = '';
  for (const entry of pack.entries) {
    chunk += `${entry.assetId}\0${entry.name}\0${entry.path}\0${entry.kind}\0${entry.cacheKey}\0`;
    if (chunk.length >= 1 << 16) {
      hash.update(chunk);
      chunk = '';
    }
  }
  return hash.update(chunk).digest('hex');
}
