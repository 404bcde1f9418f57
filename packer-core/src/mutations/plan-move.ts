import type { z } from 'zod';
import type { MoveMutation } from '../contract/mutation-schema.js';
import { isAssetId } from '../contract/runtime-constants.js';
import { assetRootOf, isSameOrInside } from '../paths/project-path.js';
import { symlinkInPath } from '../paths/symlink-in-path.js';
import { collisionKey, nonPortableReason } from '../snapshot/portable-names.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import {
  escapeFor,
  normalizeOrReport,
  reportDuplicatePaths,
  resolveAssets,
  type PlanBuilder,
  type PlanContext,
} from './plan-context.js';
import { relinkHint, resolveMoveTarget } from './move-target.js';
import { NAME_LENGTH_HINT, nameLengthProblem } from './name-length.js';
import { entryOf } from './registry-entry.js';
import { planSidecarMoves } from './sidecars.js';

/** Moves a file or a folder on disk and rewrites the registry paths with it; ids are kept. */
export function planMove(builder: PlanBuilder, context: PlanContext, mutation: z.infer<typeof MoveMutation>): void {
  const { state } = context;
  const { assets, folder } = resolveAssets(builder, context, mutation.from);
  if (assets.length === 0) return;
  const source = folder ?? assets[0]!.path;
  let target = normalizeOrReport(builder, context, mutation.to);
  if (target === undefined) return;
  target = resolveMoveTarget(builder, context, source, target, mutation.to, folder !== undefined);
  if (target === source) return; // NO_CHANGE
  if (!assetRootOf(target, state.config.assetRoots)) {
    builder.report(
      diagnostic(
        'INVALID_PATH',
        `${target} is outside every asset root (${state.config.assetRoots.join(', ')}).`,
        { path: target },
        'Choose a destination inside an asset root.',
      ),
    );
    return;
  }
  if (folder && isSameOrInside(target, folder)) {
    builder.report(diagnostic('INVALID_PATH', `Cannot move ${folder} into itself (${target}).`, { path: target }));
    return;
  }
  // A name over 255 bytes (or a path over PATH_MAX) passes every other check and would fail the apply with
  // ENAMETOOLONG: say so in the preview. A folder's move lengthens every path inside it, so those count too.
  const newPaths = folder ? assets.map((asset) => target + asset.path.slice(folder.length)) : [];
  for (const newPath of [target, ...newPaths]) {
    const problem = nameLengthProblem(context.projectRoot, newPath);
    if (problem === undefined) continue;
    builder.report(
      diagnostic(
        'INVALID_PATH',
        `Cannot move ${source} to ${target}: ${problem}.`,
        { path: newPath },
        NAME_LENGTH_HINT,
      ),
    );
    return;
  }
  const escape = escapeFor(state, target);
  if (escape) {
    builder.report(
      diagnostic(
        'PATH_OUTSIDE_PROJECT',
        `${target} goes through ${escape}, a symlink that points outside the project.`,
        { path: target },
        'Choose a destination that is not behind a symlink.',
      ),
    );
    return;
  }
  // The scan never follows symlinked folders, so files moved behind one (even one pointing inside the project)
  // would vanish from the observation and their registry entries would read as missing: refuse it.
  const link = symlinkInPath(context.projectRoot, target, true);
  if (link !== undefined) {
    builder.report(
      diagnostic(
        'SYMLINK_IN_PATH',
        `${target} goes through ${link}, which is a symlink.`,
        { path: target },
        'Move to the real folder the link points to, or choose a destination that is not behind a symlink.',
      ),
    );
    return;
  }
  // Moving an asset whose path another entry also claims would leave that entry pointing at nothing.
  // (A path reference was already checked by resolveAssets.)
  if (isAssetId(mutation.from)) reportDuplicatePaths(builder, state, assets);
  for (const asset of assets) {
    if (asset.status === 'missing') {
      builder.report(
        diagnostic(
          'MISSING_FILE',
          `${asset.path} is registered but not on disk, so it cannot be moved.`,
          { assetId: asset.id, path: asset.path },
          relinkHint(context, assets, folder, target) ?? 'Restore the file, or run `packer reconcile` first.',
        ),
      );
    }
  }
  // Observed paths keep their exact case, so on a case-insensitive disk a case-only rename finds nothing here; a file
  // found here is a different file (e.g. `Hero.png` beside `hero.png` on Linux) that the move would overwrite.
  const occupied = [...state.files.keys()].find((file) => isSameOrInside(file, target));
  const registeredAtTarget = state.snapshot.assets.find(
    (asset) => isSameOrInside(asset.path, target) && !isSameOrInside(asset.path, source),
  );
  if (occupied !== undefined || registeredAtTarget) {
    const what = occupied ?? registeredAtTarget!.path;
    builder.report(
      diagnostic(
        'TARGET_EXISTS',
        `${target} already exists (${what}).`,
        { path: target },
        relinkHint(context, assets, folder, target) ??
          'Choose another destination, or move or remove what is there first.',
      ),
    );
  }
  const parentFile = ancestors(target).find((ancestor) => state.files.has(ancestor));
  if (parentFile)
    builder.report(
      diagnostic('INVALID_PATH', `${target} would sit inside ${parentFile}, which is a file.`, { path: target }),
    );
  const key = collisionKey(target);
  const collides = [...state.byPath.keys(), ...state.untrackedByPath.keys()].find(
    // The exact same path is the target itself (TARGET_EXISTS above), not a case collision.
    (other) => other !== source && other !== target && collisionKey(other) === key,
  );
  if (collides)
    builder.report(
      diagnostic(
        'CASE_COLLISION',
        `${target} differs only by ${collides.toLowerCase() === target.toLowerCase() ? 'letter case' : 'letter case or Unicode normalisation'} from ${collides}.`,
        { path: target },
        'Pick a name that differs by more than case.',
      ),
    );
  const nonPortable = nonPortableReason(target);
  if (nonPortable)
    builder.report(
      diagnostic(
        'NON_PORTABLE_NAME',
        `${target}: ${nonPortable}; the project cannot be checked out on Windows.`,
        { path: target },
        'Pick another name if the project must work on Windows.',
      ),
    );

  builder.filesystemMutations.push({ op: 'move', from: source, to: target });
  planSidecarMoves(builder, context, source, target, folder, assets);
  for (const asset of assets) {
    const before = entryOf(asset);
    const newPath = folder ? target + asset.path.slice(folder.length) : target;
    builder.registryMutations.push({ op: 'update', before, after: { ...before, path: newPath } });
  }
}

function ancestors(relative: string): string[] {
  const parts = relative.split('/');
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('/'));
}
