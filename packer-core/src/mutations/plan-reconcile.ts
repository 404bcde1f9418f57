import type { z } from 'zod';
import type { ReconcileMutation } from '../contract/mutation-schema.js';
import { lstatSync } from 'node:fs';
import { kindClassifier } from '../config/classify-kind.js';
import { newAssetId } from '../ids/asset-id.js';
import { assetRootOf, toAbsolute } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { PlanBuilder, PlanContext } from './plan-context.js';
import { entryOf, newEntry } from './registry-entry.js';
import { planLeftBehindSidecars } from './sidecars.js';
import { reportUnsupportedNames } from './unsupported-names.js';

/**
 * Proposes actions from the snapshot's divergence: relink outside moves (the id survives; a renamed-and-edited
 * file is listed with its similarity score and reason), drop assets whose file is gone, adopt untracked files.
 * An ambiguous match blocks only what it involves: those assets are neither dropped nor relinked, those files
 * not adopted, and the plan says so in a warning; everything else proceeds. Nothing runs unless applied.
 */
export function planReconcile(
  builder: PlanBuilder,
  context: PlanContext,
  mutation: z.infer<typeof ReconcileMutation>,
): void {
  const { state } = context;
  const include = new Set(mutation.include ?? ['adopt', 'drop', 'relink']);
  const classify = kindClassifier(state.config);
  // Adopting "every untracked file" while some cannot be held leaves those out: each is named in a warning, and the
  // rest is adopted (one odd name must not hold back every other file).
  if (include.has('adopt')) reportUnsupportedNames(builder, state, undefined, 'warning');
  const skipped: { assetIds: Set<string>; paths: Set<string> } = { assetIds: new Set(), paths: new Set() };
  for (const entry of state.snapshot.divergence) {
    if (entry.type === 'moved' && include.has('relink')) {
      const asset = state.byId.get(entry.assetId)!;
      const before = entryOf(asset);
      builder.registryMutations.push({ op: 'update', before, after: { ...before, path: entry.to } });
      planLeftBehindSidecars(builder, context, entry.from, entry.to);
      if (entry.similarity) {
        builder.report(
          diagnostic(
            'SIMILAR_CONTENT',
            `Relink ${entry.from} → ${entry.to}: renamed and edited (${entry.similarity.reason}).`,
            { assetId: entry.assetId, path: entry.to },
            `Leave it out with \`--only drop,adopt\` (drop + adopt, new id), or choose another file with \`packer relink ${entry.assetId} <file>\`.`,
          ),
        );
      }
    } else if (entry.type === 'missing' && entry.ambiguousWith) {
      if (include.has('drop') || include.has('relink')) skipped.assetIds.add(entry.assetId);
    } else if (entry.type === 'missing' && include.has('drop')) {
      // The snapshot only sees files under the asset roots (and not ignored): narrowing assetRoots makes files
      // still on disk read as missing. Dropping those would lose their ids, so check the disk itself.
      if (existsOnDisk(context.projectRoot, entry.path)) {
        reportStillOnDisk(builder, context, entry.assetId, entry.path);
        continue;
      }
      builder.registryMutations.push({ op: 'remove', entry: entryOf(state.byId.get(entry.assetId)!) });
    } else if (entry.type === 'untracked' && entry.ambiguousWith) {
      if (include.has('adopt')) skipped.paths.add(entry.path);
    } else if (entry.type === 'untracked' && include.has('adopt')) {
      builder.registryMutations.push({
        op: 'add',
        entry: newEntry(newAssetId(), entry.path, classify(entry.path)),
      });
    }
  }
  reportSkipped(builder, context, skipped);
}

/** Whether anything is at `relative` on disk (lstat: a dangling symlink counts too; never drop what is there). */
function existsOnDisk(projectRoot: string, relative: string): boolean {
  try {
    lstatSync(toAbsolute(projectRoot, relative));
    return true;
  } catch {
    return false;
  }
}

/** A blocker for an asset the snapshot cannot see but whose file is on disk: it is not dropped. */
function reportStillOnDisk(builder: PlanBuilder, context: PlanContext, assetId: string, path: string): void {
  const roots = context.state.config.assetRoots;
  const outside = !assetRootOf(path, roots);
  builder.report(
    diagnostic(
      'INVALID_PATH',
      outside
        ? `${path} is registered and on disk but outside every asset root (${roots.join(', ')}), so it is not dropped.`
        : `${path} is registered and on disk but the packer does not see it (ignored, or behind a symlinked folder), so it is not dropped.`,
      { assetId, path },
      outside
        ? `Add its folder back to "assetRoots" in packer.json, or move it into an asset root with \`packer mv\`; or remove it with \`packer rm ${assetId}\`.`
        : `Make it visible again (check "ignore" and symlinks), or remove it with \`packer rm ${assetId}\`.`,
    ),
  );
}

/** One warning per ambiguous asset left alone, naming the files it could be; then files left unadopted on their own. */
function reportSkipped(
  builder: PlanBuilder,
  context: PlanContext,
  skipped: { assetIds: Set<string>; paths: Set<string> },
): void {
  const { state } = context;
  const named = new Set<string>();
  for (const entry of state.snapshot.divergence) {
    if (entry.type !== 'missing' || !entry.ambiguousWith || !skipped.assetIds.has(entry.assetId)) continue;
    for (const path of entry.ambiguousWith) named.add(path);
    builder.report(
      diagnostic(
        'AMBIGUOUS_SKIPPED',
        `Left alone: ${entry.path} is missing, and ${entry.ambiguousWith.join(', ')} match${entry.ambiguousWith.length === 1 ? 'es' : ''} it exactly as well as another missing asset, so it is neither relinked nor dropped${
          entry.ambiguousWith.some((path) => skipped.paths.has(path))
            ? ` (and ${entry.ambiguousWith.length === 1 ? 'that file is' : 'those files are'} not adopted)`
            : ''
        }.`,
        { assetId: entry.assetId, path: entry.path },
        `Choose with \`packer relink ${entry.path} <file>\`, or drop it with \`packer rm ${entry.assetId}\`; then reconcile again.`,
      ),
    );
  }
  for (const path of skipped.paths) {
    if (named.has(path)) continue;
    const ids = state.untrackedByPath.has(path)
      ? state.snapshot.divergence.find((entry) => entry.type === 'untracked' && entry.path === path)
      : undefined;
    const of = ids?.type === 'untracked' ? (ids.ambiguousWith ?? []) : [];
    builder.report(
      diagnostic(
        'AMBIGUOUS_SKIPPED',
        `Left alone: ${path} is not adopted, as it may be one of the missing assets ${of.join(', ')}.`,
        { path },
        `Choose with \`packer relink <asset> ${path}\`, or drop those assets; then reconcile again.`,
      ),
    );
  }
}
