import { subjectsOf } from '../contract/diagnostic-subjects.js';
import type { Diagnostic } from '../contract/diagnostics.js';
import type { FilesystemMutation, Plan, RegistryMutation } from '../contract/mutation-schema.js';
import type { RegistryEntry } from '../contract/registry-schema.js';

/** How many differences a CONFLICT names; the re-planned plan it carries has the rest. */
const MAX_CHANGES = 10;

/**
 * What differs between the plan a client previewed and the same mutation re-planned at the head revision:
 * registry mutations, filesystem mutations, blockers and a registry migration, compared by what they do (a
 * revision is not a change; neither is a provisional id of an asset to register). Empty when the two plans
 * would do the same thing, so an apply that lost a race to an unrelated commit (a build recording its packs)
 * can go ahead. Each item is one sentence for people, at most MAX_CHANGES of them.
 */
export function planChanges(previewed: Plan, replanned: Plan): string[] {
  const out: string[] = [];
  const compare = (what: string, before: readonly string[], after: readonly string[]): void => {
    const remaining = new Map<string, number>();
    for (const item of after) remaining.set(item, (remaining.get(item) ?? 0) + 1);
    for (const item of before) {
      const left = remaining.get(item) ?? 0;
      if (left > 0) remaining.set(item, left - 1);
      else out.push(`${what} no longer planned: ${item}`);
    }
    for (const [item, left] of remaining) for (let i = 0; i < left; i++) out.push(`${what} now planned: ${item}`);
  };
  compare(
    'registry change',
    previewed.registryMutations.map(describeRegistryMutation),
    replanned.registryMutations.map(describeRegistryMutation),
  );
  compare(
    'file change',
    previewed.filesystemMutations.map(describeFilesystemMutation),
    replanned.filesystemMutations.map(describeFilesystemMutation),
  );
  compare('blocker', previewed.blockers.map(describeBlocker), replanned.blockers.map(describeBlocker));
  const migration = (plan: Plan): string[] =>
    plan.registryMigration
      ? [
          `registry format ${plan.registryMigration.from} → ${plan.registryMigration.to}`,
          ...(plan.registryMigration.layout
            ? [`${plan.registryMigration.layout.entries} entries into ${plan.registryMigration.layout.shards} shard(s)`]
            : []),
        ]
      : [];
  compare('registry rewrite', migration(previewed), migration(replanned));
  if (out.length <= MAX_CHANGES) return out;
  return [...out.slice(0, MAX_CHANGES), `and ${out.length - MAX_CHANGES} more difference(s)`];
}

function describeRegistryMutation(change: RegistryMutation): string {
  if (change.op === 'update')
    return `update ${change.before.id} from ${entryText(change.before)} to ${entryText(change.after)}`;
  // The id of an asset to register is provisional in a preview: apply assigns it.
  if (change.op === 'add') return `add ${entryText(change.entry)}`;
  return `remove ${change.entry.id} ${entryText(change.entry)}`;
}

function entryText(entry: RegistryEntry): string {
  const tags = entry.tags.length > 0 ? `, tags ${[...entry.tags].sort().join(' ')}` : '';
  const settings = Object.keys(entry.settings).length > 0 ? `, settings ${JSON.stringify(sorted(entry.settings))}` : '';
  return `${entry.path} (kind ${entry.kind}${tags}${settings})`;
}

function describeFilesystemMutation(change: FilesystemMutation): string {
  const sidecar = change.sidecarOf ? ` (sidecar of ${change.sidecarOf})` : '';
  return change.op === 'move' ? `move ${change.from} → ${change.to}${sidecar}` : `delete ${change.path}${sidecar}`;
}

function describeBlocker(item: Diagnostic): string {
  const subjects = subjectsOf(item)
    .map((subject) => subject.path ?? subject.assetId)
    .filter(Boolean);
  return `${item.code}${subjects.length ? ` (${subjects.join(', ')})` : ''}`;
}

function sorted(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
