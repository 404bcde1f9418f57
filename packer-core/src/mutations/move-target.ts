import { lstatSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { AssetView } from '../contract/snapshot-schema.js';
import { symlinkInPath } from '../paths/symlink-in-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { PlanBuilder, PlanContext } from './plan-context.js';

/**
 * Where a move really goes, as `mv` decides it: `to/` (trailing slash) or a `to` that is an existing real folder on
 * disk means into that folder, keeping the source's name; the plan says so (MOVE_INTO_FOLDER). Otherwise `to` is the
 * new path. `target` is the normalised `to`; `source` the file or folder being moved.
 */
export function resolveMoveTarget(
  builder: PlanBuilder,
  context: PlanContext,
  source: string,
  target: string,
  to: string,
  sourceIsFolder: boolean,
): string {
  const name = path.posix.basename(source);
  if (to.endsWith('/') && !sourceIsFolder) return `${target}/${name}`;
  if (target === source || !isRealFolder(context.projectRoot, target)) return target;
  // A case-only rename of a folder on a case-insensitive disk finds the source itself at `to`: a rename, not "into".
  if (sourceIsFolder && sameFile(context.projectRoot, source, target)) return target;
  const into = `${target}/${name}`;
  builder.report(
    diagnostic(
      'MOVE_INTO_FOLDER',
      `${target} is an existing folder, so ${source} moves into it: ${into}.`,
      { path: into },
      `To rename ${source} to ${target} instead, move or remove the folder ${target} first.`,
    ),
  );
  return into;
}

/**
 * The hint for a missing asset moved onto an untracked file: that file is likely the asset, renamed outside the
 * packer, and `packer relink` says so without moving anything. Undefined when that is not the situation.
 */
export function relinkHint(
  context: PlanContext,
  assets: readonly AssetView[],
  folder: string | undefined,
  target: string,
): string | undefined {
  const asset = assets[0];
  if (
    folder !== undefined ||
    assets.length !== 1 ||
    asset?.status !== 'missing' ||
    !context.state.untrackedByPath.has(target)
  )
    return undefined;
  return `If ${target} is this asset renamed outside the packer, keep its id with \`packer relink ${asset.id} ${target}\`.`;
}

/** A folder on disk reached through no symlink (a symlinked destination is refused later, with its reason). */
function isRealFolder(projectRoot: string, relative: string): boolean {
  if (symlinkInPath(projectRoot, relative, true) !== undefined) return false;
  return statOf(projectRoot, relative)?.isDirectory() === true;
}

function sameFile(projectRoot: string, a: string, b: string): boolean {
  const [first, second] = [statOf(projectRoot, a), statOf(projectRoot, b)];
  return first !== undefined && second !== undefined && first.dev === second.dev && first.ino === second.ino;
}

function statOf(projectRoot: string, relative: string): Stats | undefined {
  try {
    return lstatSync(path.join(projectRoot, ...relative.split('/')));
  } catch {
    return undefined;
  }
}
