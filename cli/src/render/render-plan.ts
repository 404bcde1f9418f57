import type {
  FilesystemMutation,
  Plan,
  PlanCounts,
  PlanSummary,
  RegistryEntry,
  RegistryMutation,
} from '@packer/core/contract';
import { planCounts } from '@packer/core/contract/runtime';
import { formatCount, plural } from './format.js';
import { renderDiagnostic } from './render-diagnostic.js';
import { terminalText as t } from './terminal-text.js';

/** Items of each list printed under the summary; `--all` prints every one. */
export const SHOWN_ITEMS = 20;

/**
 * The packer's preview as planned: blockers, warnings, registry mutations, filesystem mutations. A plan of any
 * size prints in bounded lines: the counts, then the first `SHOWN_ITEMS` of each list (the packer's summary
 * carries only the first items anyway); with `all` every item given is printed (the command pages them in).
 */
export function renderPlan(plan: Plan | PlanSummary, options: { all?: boolean } = {}): string {
  const counts = 'counts' in plan ? plan.counts : planCounts(plan);
  const shown = options.all ? Number.POSITIVE_INFINITY : SHOWN_ITEMS;
  const lines = [`Preview of ${t(plan.mutation.type)} against revision ${plan.baseRevision}:`];
  const section = <T>(
    title: string,
    total: number,
    items: readonly T[],
    render: (item: T) => string,
    detail = '',
  ): void => {
    if (total === 0) return;
    // Small plans print as they always did; a cut-short list says what the whole one holds.
    lines.push(`${title} (${formatCount(total)}${total > shown ? detail : ''}):`);
    const listed = items.slice(0, shown);
    for (const item of listed) lines.push(render(item));
    if (listed.length < total && !options.all)
      lines.push(`  … and ${formatCount(total - listed.length)} more (first ${listed.length} shown; --all to list)`);
  };
  section('Blockers', counts.blockers, plan.blockers, renderDiagnostic);
  section('Warnings', counts.warnings, plan.warnings, renderDiagnostic);
  section(
    'Registry changes',
    counts.registryMutations,
    plan.registryMutations,
    renderRegistryMutation,
    registryBreakdown(counts),
  );
  section('File changes', counts.filesystemMutations, plan.filesystemMutations, renderFilesystemMutation);
  if (counts.registryMutations === 0 && counts.filesystemMutations === 0 && counts.blockers === 0)
    lines.push('Nothing to change.');
  else
    lines.push(
      `${plural(counts.blockers, 'blocker')}, ${plural(counts.registryMutations, 'registry change')}, ${plural(counts.filesystemMutations, 'file change')}.`,
    );
  return lines.join('\n');
}

function renderRegistryMutation(change: RegistryMutation): string {
  // Ids in a preview are provisional (the apply assigns the final ones), so they are not shown here.
  if (change.op === 'add') return `  + ${t(change.entry.path)}  (${t(change.entry.kind)}, new asset)`;
  if (change.op === 'remove') return `  - ${t(change.entry.path)}  (${t(change.entry.id)})`;
  return `  ~ ${describeUpdate(change.before, change.after)}`;
}

function renderFilesystemMutation(change: FilesystemMutation): string {
  // A sidecar (x.png.import) rides along with its asset in the same commit: say whose it is.
  const of = change.sidecarOf === undefined ? '' : `  (sidecar of ${t(change.sidecarOf)})`;
  return change.op === 'move' ? `  move   ${t(change.from)} → ${t(change.to)}${of}` : `  delete ${t(change.path)}${of}`;
}

/** ": 100,000 new assets, 2 removed" when the plan mixes or is big enough to be worth saying. */
function registryBreakdown(counts: PlanCounts): string {
  const { add, remove, update } = counts.registry;
  const parts = [
    add > 0 ? `${formatCount(add)} new` : '',
    remove > 0 ? `${formatCount(remove)} removed` : '',
    update > 0 ? `${formatCount(update)} updated` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `: ${parts.join(', ')}` : '';
}

function describeUpdate(before: RegistryEntry, after: RegistryEntry): string {
  const parts: string[] = [];
  if (before.path !== after.path) parts.push(`${before.path} → ${after.path}`);
  else parts.push(after.path);
  if (before.kind !== after.kind) parts.push(`kind ${before.kind} → ${after.kind}`);
  const settings = JSON.stringify(after.settings);
  if (JSON.stringify(before.settings) !== settings) parts.push(`settings ${settings}`);
  if (before.tags.join(',') !== after.tags.join(',')) parts.push(`tags [${after.tags.join(', ')}]`);
  return t(`${parts.join(', ')}  (${after.id})`);
}
