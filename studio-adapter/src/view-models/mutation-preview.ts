import type { FilesystemMutation, Mutation, Plan, RegistryMutation } from '@packer/core/contract';
import { diagnosticRows, type DiagnosticRow } from './diagnostic-row.js';

/** One planned registry change; `planned` is the packer's entry, unchanged. */
export interface RegistryMutationRow {
  key: string;
  op: RegistryMutation['op'];
  assetId: string;
  /** The entry's path (after the change, for an update). */
  path: string;
  /** For an update whose path changes: the path before. */
  previousPath?: string;
  planned: RegistryMutation;
}

/** One planned filesystem change; `planned` is the packer's entry, unchanged. */
export interface FilesystemMutationRow {
  key: string;
  op: FilesystemMutation['op'];
  /** Source of a move, or the deleted path. */
  path: string;
  /** Target of a move. */
  to?: string;
  planned: FilesystemMutation;
}

/** The preview panel of a mutation: exactly what the packer planned, in its order. */
export interface MutationPreviewPanel {
  mutation: Mutation;
  baseRevision: number;
  /** The packer reported blockers: apply will refuse. */
  blocked: boolean;
  blockers: DiagnosticRow[];
  warnings: DiagnosticRow[];
  registryRows: RegistryMutationRow[];
  filesystemRows: FilesystemMutationRow[];
}

export function mutationPreviewPanel(plan: Plan): MutationPreviewPanel {
  return {
    mutation: plan.mutation,
    baseRevision: plan.baseRevision,
    blocked: plan.blockers.length > 0,
    blockers: diagnosticRows(plan.blockers, 'blocker'),
    warnings: diagnosticRows(plan.warnings, 'warning'),
    registryRows: plan.registryMutations.map(registryRow),
    filesystemRows: plan.filesystemMutations.map(filesystemRow),
  };
}

function registryRow(planned: RegistryMutation, index: number): RegistryMutationRow {
  if (planned.op === 'update') {
    return {
      key: `registry:${index}`,
      op: planned.op,
      assetId: planned.after.id,
      path: planned.after.path,
      ...(planned.before.path !== planned.after.path ? { previousPath: planned.before.path } : {}),
      planned,
    };
  }
  return { key: `registry:${index}`, op: planned.op, assetId: planned.entry.id, path: planned.entry.path, planned };
}

function filesystemRow(planned: FilesystemMutation, index: number): FilesystemMutationRow {
  if (planned.op === 'move') return { key: `filesystem:${index}`, op: planned.op, path: planned.from, to: planned.to, planned };
  return { key: `filesystem:${index}`, op: planned.op, path: planned.path, planned };
}
