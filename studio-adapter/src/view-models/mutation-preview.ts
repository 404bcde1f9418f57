import type {
  Diagnostic,
  FilesystemMutation,
  MethodResult,
  Mutation,
  Plan,
  PlanList,
  PlanSummary,
  RegistryMutation,
} from '@packer/core/contract';
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

/** How many items of each list the whole plan has (the packer's counts), and how many the panel shows so far. */
export interface PlanListState {
  total: number;
  shown: number;
  /** Token for `plan.items` to load the next rows; absent once every row is shown. */
  nextPage?: string;
}

/**
 * The preview panel of a mutation: exactly what the packer planned, in its order. A big plan arrives as a
 * summary (the first rows and the counts): `lists` say how many rows are not shown yet, and `withPlanPage`
 * adds the rows of a `plan.items` page.
 */
export interface MutationPreviewPanel {
  mutation: Mutation;
  baseRevision: number;
  /** The daemon's id of the whole plan (absent for a plan given whole): page with `plan.items`, apply with it. */
  planId?: string;
  /** The packer reported blockers: apply will refuse. */
  blocked: boolean;
  blockers: DiagnosticRow[];
  warnings: DiagnosticRow[];
  registryRows: RegistryMutationRow[];
  filesystemRows: FilesystemMutationRow[];
  /** Per list: the whole plan's count and the rows shown. */
  lists: Record<PlanList, PlanListState>;
  /** Registry changes by op over the whole plan (`add` 100000, say), as the packer counted them. */
  registryCounts: Record<RegistryMutation['op'], number>;
}

export function mutationPreviewPanel(plan: Plan | PlanSummary): MutationPreviewPanel {
  const summary = 'planId' in plan ? plan : undefined;
  const counts = summary?.counts;
  const list = (name: PlanList, shown: number): PlanListState => {
    const total = counts ? counts[name] : shown;
    const nextPage = summary?.nextPages[name];
    return { total, shown, ...(nextPage ? { nextPage } : {}) };
  };
  const registryCounts = counts?.registry ?? { add: 0, remove: 0, update: 0 };
  if (!counts) for (const change of plan.registryMutations) registryCounts[change.op] += 1;
  return {
    mutation: plan.mutation,
    baseRevision: plan.baseRevision,
    ...(summary ? { planId: summary.planId } : {}),
    blocked: (counts?.blockers ?? plan.blockers.length) > 0,
    blockers: diagnosticRows(plan.blockers, 'blocker'),
    warnings: diagnosticRows(plan.warnings, 'warning'),
    registryRows: plan.registryMutations.map((item, index) => registryRow(item, index)),
    filesystemRows: plan.filesystemMutations.map((item, index) => filesystemRow(item, index)),
    lists: {
      registryMutations: list('registryMutations', plan.registryMutations.length),
      filesystemMutations: list('filesystemMutations', plan.filesystemMutations.length),
      blockers: list('blockers', plan.blockers.length),
      warnings: list('warnings', plan.warnings.length),
    },
    registryCounts,
  };
}

/** The panel with the rows of one `plan.items` page added after those it shows. */
export function withPlanPage(panel: MutationPreviewPanel, page: MethodResult<'plan.items'>): MutationPreviewPanel {
  const state = panel.lists[page.list];
  const lists = {
    ...panel.lists,
    [page.list]: {
      total: page.total,
      shown: state.shown + page.items.length,
      ...(page.nextPage ? { nextPage: page.nextPage } : {}),
    },
  };
  const next = { ...panel, lists };
  switch (page.list) {
    case 'registryMutations':
      next.registryRows = [
        ...panel.registryRows,
        ...(page.items as RegistryMutation[]).map((item, index) => registryRow(item, state.shown + index)),
      ];
      break;
    case 'filesystemMutations':
      next.filesystemRows = [
        ...panel.filesystemRows,
        ...(page.items as FilesystemMutation[]).map((item, index) => filesystemRow(item, state.shown + index)),
      ];
      break;
    case 'blockers':
      next.blockers = [...panel.blockers, ...diagnosticRows(page.items as Diagnostic[], `blocker@${state.shown}`)];
      break;
    case 'warnings':
      next.warnings = [...panel.warnings, ...diagnosticRows(page.items as Diagnostic[], `warning@${state.shown}`)];
      break;
  }
  return next;
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
  if (planned.op === 'move')
    return { key: `filesystem:${index}`, op: planned.op, path: planned.from, to: planned.to, planned };
  return { key: `filesystem:${index}`, op: planned.op, path: planned.path, planned };
}
