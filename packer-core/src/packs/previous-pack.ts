import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EntryMetadata } from '../contract/build-schema.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { PlannedEntry } from '../processing/plan-build.js';
import type { PackFiles } from './pack-files.js';

/** One processed output that the previous version of a pack already holds, and where. */
export interface PackedOutput {
  /** The previous pack file, absolute. */
  file: string;
  offset: number;
  size: number;
  digest: string;
  metadata: EntryMetadata;
  /** Its CRC-32 when that version was written (checked instead of the digest when the bytes are copied out). */
  crc?: number | undefined;
}

/** The asset id and cache key of each entry of a pack, in entry order (what `savePackInputs` records). */
export interface PackInputs {
  ids: readonly string[];
  keys: readonly string[];
}

/** The ids and cache keys of planned entries: all a build keeps of a pack's entries once the pack is staged. */
export function packInputsOf(entries: readonly PlannedEntry[]): PackInputs {
  return { ids: entries.map((entry) => entry.assetId), keys: entries.map((entry) => entry.cacheKey) };
}

/** `.packer/pack-inputs/<name>.json`: the cache key of each entry of the pack version with this digest, in entry
 * order. */
interface PackInputsFile {
  version: 1;
  digest: string;
  ids: readonly string[];
  keys: readonly string[];
  /** Each entry's CRC-32 as written (absent when it was not computed). */
  crcs?: readonly number[];
}

const inputsFile = (stateDir: string, name: string): string => path.join(stateDir, 'pack-inputs', `${name}.json`);

/**
 * Remembers which cache key each entry of a pack version was built from, so that the next build can copy the
 * outputs it still needs out of this version by byte range instead of looking up, reading and re-hashing every
 * one from the cache. Best effort: without it, a build only does more work.
 */
export function savePackInputs(
  stateDir: string,
  name: string,
  digest: string,
  inputs: PackInputs,
  crcs?: readonly number[] | null,
): void {
  const file = inputsFile(stateDir, name);
  const content: PackInputsFile = {
    version: 1,
    digest,
    ids: inputs.ids,
    keys: inputs.keys,
    ...(crcs && crcs.length === inputs.ids.length ? { crcs } : {}),
  };
  try {
    writeFileAtomic(file, JSON.stringify(content));
  } catch {
    // A full disk here costs the next build some copying, nothing else: the pack is already committed.
    rmSync(file, { force: true });
  }
}

/**
 * The outputs the pack version on disk holds, by cache key, when that version is the one `digest` names and the
 * keys recorded for it line up with its manifest. The caller has checked (by stat) that the files are the ones the
 * packer wrote; every byte copied out of them is still checked against its digest by the pack writer.
 */
export function packedOutputs(
  stateDir: string,
  files: PackFiles,
  digest: string,
): Map<string, PackedOutput> | undefined {
  try {
    const inputs = JSON.parse(readFileSync(inputsFile(stateDir, files.name), 'utf8')) as Partial<PackInputsFile>;
    if (inputs.version !== 1 || inputs.digest !== digest || !Array.isArray(inputs.ids) || !Array.isArray(inputs.keys))
      return undefined;
    // The manifest is the one the packer wrote (by stat): a plain parse, no schema pass over every entry.
    const manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as { digest?: unknown; entries?: unknown };
    if (manifest.digest !== digest || !Array.isArray(manifest.entries) || manifest.entries.length !== inputs.ids.length)
      return undefined;
    const crcs = Array.isArray(inputs.crcs) && inputs.crcs.length === inputs.ids.length ? inputs.crcs : undefined;
    const out = new Map<string, PackedOutput>();
    const entries = manifest.entries as {
      id: unknown;
      offset: unknown;
      size: unknown;
      digest: unknown;
      metadata: unknown;
    }[];
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!;
      const key = inputs.keys[index];
      if (entry.id !== inputs.ids[index] || typeof key !== 'string') return undefined;
      if (
        typeof entry.offset !== 'number' ||
        typeof entry.size !== 'number' ||
        typeof entry.digest !== 'string' ||
        typeof entry.metadata !== 'object' ||
        entry.metadata === null
      )
        return undefined;
      out.set(key, {
        file: files.pack,
        offset: entry.offset,
        size: entry.size,
        digest: entry.digest,
        metadata: entry.metadata as EntryMetadata,
        ...(typeof crcs?.[index] === 'number' ? { crc: crcs[index] } : {}),
      });
    }
    return out;
  } catch {
    return undefined;
  }
}
