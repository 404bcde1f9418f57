import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { Plan } from '../contract/mutation-schema.js';
import { REGISTRY_FILE } from '../registry/registry-store.js';
import { diagnostic } from '../snapshot/diagnostic.js';

/** Why the registry file may not be replaced: its mode (e.g. `0444`) and the blocker a plan shows for it. */
export interface ReadOnlyRegistry {
  mode: string;
  blocker: Diagnostic;
}

/**
 * The registry file's refusal to be replaced, if it has one: no owner write bit. Permission bits, not access(2),
 * as the commit itself checks (root may write anything, and a frozen registry should stop root too).
 */
export function readOnlyRegistry(projectRoot: string): ReadOnlyRegistry | undefined {
  let mode: number;
  try {
    mode = lstatSync(path.join(projectRoot, REGISTRY_FILE)).mode;
  } catch {
    return undefined; // no registry yet: the first write creates it
  }
  if ((mode & 0o200) !== 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return {
    mode: octal,
    blocker: diagnostic(
      'REGISTRY_READ_ONLY',
      `${REGISTRY_FILE} is read-only (mode ${octal}), so the packer will not replace it.`,
      { path: REGISTRY_FILE },
      `Nothing was changed. Make it writable (\`chmod u+w ${REGISTRY_FILE}\`) and retry, or leave it read-only to keep the registry frozen.`,
    ),
  };
}

/** The plan with a REGISTRY_READ_ONLY blocker added when it would write a registry file that is read-only. */
export function withRegistryWriteCheck(plan: Plan, projectRoot: string): Plan {
  if (plan.registryMutations.length + plan.filesystemMutations.length === 0) return plan;
  const readOnly = readOnlyRegistry(projectRoot);
  return readOnly ? { ...plan, blockers: [...plan.blockers, readOnly.blocker] } : plan;
}
