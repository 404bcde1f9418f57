import { AUDIT_RECORD_ITEMS } from '../contract/runtime-constants.js';
import type { AuditRecord } from '../contract/mutation-schema.js';
import { auditChanges } from './audit-changes.js';

/**
 * The record as the log keeps it: its size does not grow with the mutation. An applied record counts every change
 * in `changes` (computed here from the whole lists when missing) and keeps the first `AUDIT_RECORD_ITEMS` registry
 * and filesystem mutations; lists of the mutation itself (a register of 100,000 named paths) keep their first items
 * too, and `scope.mutation.omitted` says how many each list left out. A 100,000-file add is a record of a few KB, in
 * the log and in the commit journal that carries it, instead of tens of MB read back by every `history`.
 */
export function boundedAuditRecord(record: AuditRecord): AuditRecord {
  const { registryMutations, filesystemMutations } = record;
  const changes =
    record.changes ??
    (record.result === 'applied' && registryMutations
      ? auditChanges(registryMutations, filesystemMutations ?? [])
      : undefined);
  return {
    ...record,
    scope: { ...record.scope, mutation: boundedMutation(record.scope.mutation) },
    ...(registryMutations ? { registryMutations: firstItems(registryMutations) } : {}),
    ...(filesystemMutations ? { filesystemMutations: firstItems(filesystemMutations) } : {}),
    ...(changes ? { changes } : {}),
  };
}

function firstItems<T>(list: readonly T[]): T[] {
  return list.length > AUDIT_RECORD_ITEMS ? list.slice(0, AUDIT_RECORD_ITEMS) : [...list];
}

/** A mutation's long lists cut to their first items, with what was left out per list under `omitted`. */
function boundedMutation(mutation: unknown): unknown {
  if (typeof mutation !== 'object' || mutation === null || Array.isArray(mutation)) return mutation;
  let omitted: Record<string, number> | undefined;
  const bounded: Record<string, unknown> = { ...(mutation as Record<string, unknown>) };
  for (const [key, value] of Object.entries(bounded)) {
    if (!Array.isArray(value) || value.length <= AUDIT_RECORD_ITEMS) continue;
    bounded[key] = value.slice(0, AUDIT_RECORD_ITEMS);
    (omitted ??= {})[key] = value.length - AUDIT_RECORD_ITEMS;
  }
  return omitted ? { ...bounded, omitted } : mutation;
}
