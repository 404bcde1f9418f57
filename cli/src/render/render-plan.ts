import type { Plan, RegistryEntry } from '@packer/core/contract';
import { plural } from './format.js';
import { renderDiagnostic } from './render-diagnostic.js';
import { terminalText as t } from './terminal-text.js';

/** The packer's preview exactly as planned: blockers, warnings, registry mutations, filesystem mutations. */
export function renderPlan(plan: Plan): string {
  const lines = [`Preview of ${t(plan.mutation.type)} against revision ${plan.baseRevision}:`];
  if (plan.blockers.length > 0) {
    lines.push(`Blockers (${plan.blockers.length}):`);
    for (const item of plan.blockers) lines.push(renderDiagnostic(item));
  }
  if (plan.warnings.length > 0) {
    lines.push(`Warnings (${plan.warnings.length}):`);
    for (const item of plan.warnings) lines.push(renderDiagnostic(item));
  }
  if (plan.registryMutations.length > 0) {
    lines.push(`Registry changes (${plan.registryMutations.length}):`);
    for (const change of plan.registryMutations) {
      // Ids in a preview are provisional (the apply assigns the final ones), so they are not shown here.
      if (change.op === 'add') lines.push(`  + ${t(change.entry.path)}  (${t(change.entry.kind)}, new asset)`);
      else if (change.op === 'remove') lines.push(`  - ${t(change.entry.path)}  (${t(change.entry.id)})`);
      else lines.push(`  ~ ${describeUpdate(change.before, change.after)}`);
    }
  }
  if (plan.filesystemMutations.length > 0) {
    lines.push(`File changes (${plan.filesystemMutations.length}):`);
    for (const change of plan.filesystemMutations) {
      // A sidecar (x.png.import) rides along with its asset in the same commit: say whose it is.
      const of = change.sidecarOf === undefined ? '' : `  (sidecar of ${t(change.sidecarOf)})`;
      lines.push(change.op === 'move' ? `  move   ${t(change.from)} → ${t(change.to)}${of}` : `  delete ${t(change.path)}${of}`);
    }
  }
  if (plan.registryMutations.length === 0 && plan.filesystemMutations.length === 0 && plan.blockers.length === 0) lines.push('Nothing to change.');
  else lines.push(`${plural(plan.blockers.length, 'blocker')}, ${plural(plan.registryMutations.length, 'registry change')}, ${plural(plan.filesystemMutations.length, 'file change')}.`);
  return lines.join('\n');
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
