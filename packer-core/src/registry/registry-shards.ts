import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The single-file registry (`registry.shards` 1, the default). */
export const REGISTRY_FILE = 'packer.registry.json';
/** The folder of a sharded registry (`registry.shards` 16, 256 or 4096): one format 2 file per shard. */
export const REGISTRY_FOLDER = 'packer.registry';

/** The shard counts `packer.json` may name. */
export const SHARD_COUNTS = [1, 16, 256, 4096] as const;
export type ShardCount = (typeof SHARD_COUNTS)[number];

/** A shard file's name inside the folder: 1 to 3 lower-case hex digits (16, 256, 4096 shards). */
const SHARD_NAME = /^[0-9a-f]{1,3}\.json$/;
/** A registry file as a journal or a plan names it, project-relative. */
const REGISTRY_PATH = /^packer\.registry\/[0-9a-f]{1,3}\.json$/;

const DIGITS: Record<ShardCount, number> = { 1: 0, 16: 1, 256: 2, 4096: 3 };

/** Hex digest of each parent folder, cached: a registry has far fewer folders than files. */
const folderHashes = new Map<string, string>();

function folderHash(folder: string): string {
  let hash = folderHashes.get(folder);
  if (hash === undefined) {
    // Bounded: a pathological project (one folder per file) does not grow this without end.
    if (folderHashes.size > 200_000) folderHashes.clear();
    hash = createHash('sha256').update(folder, 'utf8').digest('hex').slice(0, 3);
    folderHashes.set(folder, hash);
  }
  return hash;
}

/**
 * The registry file (project-relative) that holds the entry at `entryPath`: `packer.registry.json` with one shard,
 * else `packer.registry/<hex>.json`, the hex being the first digits of sha256 of the entry's PARENT folder ('' at the
 * project root). A folder's entries stay together (an add or a move of a folder touches few files, git diffs stay
 * grouped), and hashing sidesteps every file-name problem of mirroring folder names.
 */
export function shardFileOf(entryPath: string, shards: ShardCount): string {
  if (shards === 1) return REGISTRY_FILE;
  const slash = entryPath.lastIndexOf('/');
  return `${REGISTRY_FOLDER}/${folderHash(slash < 0 ? '' : entryPath.slice(0, slash)).slice(0, DIGITS[shards])}.json`;
}

/** True for a project-relative name that can be a registry file (`packer.registry.json` or a shard's). */
export function isRegistryFileName(relative: string): boolean {
  return relative === REGISTRY_FILE || REGISTRY_PATH.test(relative);
}

/** The registry files on disk now, and names in the shard folder that cannot be shards. */
export interface RegistryFiles {
  /** Project-relative, sorted: `packer.registry.json` first when present, then the shards. */
  files: string[];
  /** `.json` files in `packer.registry/` whose names are no shard's (`AB.json`, `notes.json`): the reader refuses
   * them rather than drop the entries they may hold. Dot-files (temp files of a write) and other names are ignored.
   * The folder itself when it is a symlink. */
  strays: string[];
  /** True when the `packer.registry/` folder exists. */
  folder: boolean;
}

/** Lists the registry files of a project (one readdir and one stat). */
export function listRegistryFiles(projectRoot: string): RegistryFiles {
  const files: string[] = [];
  const strays: string[] = [];
  try {
    if (statSync(path.join(projectRoot, REGISTRY_FILE)).isFile()) files.push(REGISTRY_FILE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let names: string[];
  try {
    // A shard folder that is a symlink would let a cloned repository point the packer's writes outside the project.
    if (lstatSync(path.join(projectRoot, REGISTRY_FOLDER)).isSymbolicLink())
      return { files, strays: [REGISTRY_FOLDER], folder: true };
    names = readdirSync(path.join(projectRoot, REGISTRY_FOLDER));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { files, strays, folder: false };
    throw error;
  }
  for (const name of names.sort()) {
    if (SHARD_NAME.test(name)) files.push(`${REGISTRY_FOLDER}/${name}`);
    else if (!name.startsWith('.') && name.toLowerCase().endsWith('.json')) strays.push(`${REGISTRY_FOLDER}/${name}`);
  }
  return { files, strays, folder: true };
}
