import type { AuditChanges, FilesystemMutation, RegistryMutation } from '../contract/mutation-schema.js';

/** How many changed paths an audit record names; the counts cover the rest. */
export const AUDIT_CHANGE_PATHS = 5;

/**
 * What a mutation changed, for `packer history`: counts per kind of change and the first few paths. Bounded
 * whatever the mutation's size (a register of 100k files names 5 of them).
 */
export function auditChanges(
  registry: readonly RegistryMutation[],
  files: readonly FilesystemMutation[],
): AuditChanges {
  const changes: AuditChanges = {
    registered: 0,
    moved: 0,
    removed: 0,
    updated: 0,
    movedFiles: 0,
    deletedFiles: 0,
    firstPaths: [],
  };
  for (const change of registry) {
    let described: string;
    if (change.op === 'add') {
      changes.registered++;
      described = change.entry.path;
    } else if (change.op === 'remove') {
      changes.removed++;
      described = change.entry.path;
    } else if (change.before.path !== change.after.path) {
      changes.moved++;
      described = `${change.before.path} → ${change.after.path}`;
    } else {
      changes.updated++;
      described = change.after.path;
    }
    if (changes.firstPaths.length < AUDIT_CHANGE_PATHS) changes.firstPaths.push(described);
  }
  for (const change of files) {
    if (change.op === 'move') changes.movedFiles++;
    else changes.deletedFiles++;
  }
  return changes;
}
