import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { Plan } from '../contract/mutation-schema.js';
import {
  listRegistryFiles,
  REGISTRY_FILE,
  REGISTRY_FOLDER,
  shardFileOf,
  type ShardCount,
} from '../registry/registry-shards.js';
import { diagnostic } from '../snapshot/diagnostic.js';

/** Why the registry file may not be replaced: its mode (e.g. `0444`) and the blocker a plan shows for it. */
export interface ReadOnlyRegistry {
  mode: string;
  blocker: Diagnostic;
}

/**
 * A registry file's (or the shard folder's) refusal to be replaced, if it has one: no owner write bit. Permission
 * bits, not access(2), as the commit itself checks (root may write anything, and a frozen registry should stop root
 * too).
 */
export function readOnlyRegistry(projectRoot: string, relative: string = REGISTRY_FILE): ReadOnlyRegistry | undefined {
  let mode: number;
  try {
    mode = lstatSync(path.join(projectRoot, relative)).mode;
  } catch {
    return undefined; // no registry yet: the first write creates it
  }
  if ((mode & 0o200) !== 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return {
    mode: octal,
    blocker: diagnostic(
      'REGISTRY_READ_ONLY',
      `${relative} is read-only (mode ${octal}), so the packer will not replace it.`,
      { path: relative },
      `Nothing was changed. Make it writable (\`chmod u+w ${relative}\`) and retry, or leave it read-only to keep the registry frozen.`,
    ),
  };
}

/**
 * The plan with a REGISTRY_READ_ONLY blocker added when it would write a registry file that is read-only: the single
 * file, the shard folder, each shard the plan's entries leave or enter, and every shard when it moves the layout.
 */
export function withRegistryWriteCheck(plan: Plan, projectRoot: string, shards: ShardCount = 1): Plan {
  if (plan.registryMutations.length + plan.filesystemMutations.length === 0) return plan;
  const touched = new Set<string>([REGISTRY_FILE]);
  if (shards !== 1 || plan.registryMigration?.layout) touched.add(REGISTRY_FOLDER);
  if (plan.registryMigration?.layout) for (const file of listRegistryFiles(projectRoot).files) touched.add(file);
  if (shards !== 1) {
    for (const change of plan.registryMutations) {
      for (const entry of change.op === 'update' ? [change.before, change.after] : [change.entry])
        touched.add(shardFileOf(entry.path, shards));
    }
  }
  const blockers = [...touched].flatMap((relative) => readOnlyRegistry(projectRoot, relative)?.blocker ?? []);
  return blockers.length > 0 ? { ...plan, blockers: [...plan.blockers, ...blockers] } : plan;
}
