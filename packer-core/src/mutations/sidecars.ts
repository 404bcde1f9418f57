import { lstatSync } from 'node:fs';
import type { AssetView } from '../contract/snapshot-schema.js';
import { assetRootOf, isSameOrInside, toAbsolute } from '../paths/project-path.js';
import { symlinkInPath } from '../paths/symlink-in-path.js';
import { leftBehindSidecars, sidecarRules, type SidecarMove } from '../scan/sidecar-rules.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { escapeFor, type PlanBuilder, type PlanContext } from './plan-context.js';
import { NAME_LENGTH_HINT, nameLengthProblem } from './name-length.js';
import { entryOf } from './registry-entry.js';

/**
 * Sidecars (packer.json `sidecars`: `x.png.import`, `x.gd.uid`, `x.png.meta`, `Folder.meta`) are not assets: they
 * ride along with their owner. These helpers add their steps to a plan as ordinary filesystem mutations marked
 * `sidecarOf`, so they are journaled and checked step by step like the owner's own, in the same commit.
 */

/** The observed sidecars of `owner`, each with the path it takes when the owner becomes `to`. */
function sidecarsMoving(context: PlanContext, owner: string, to: string): SidecarMove[] {
  const rules = sidecarRules(context.state.config);
  if (!rules) return [];
  const after = rules.pathsOf(to);
  return rules
    .pathsOf(owner)
    .flatMap((sidecar, index) => (context.state.files.has(sidecar) ? [{ from: sidecar, to: after[index]! }] : []));
}

/**
 * The sidecar steps of a move of `source` (a file, or with `folder` set, a folder) to `target`. A folder carries
 * the sidecars inside it by itself; what needs steps of its own is the folder's sidecar (`Folder.meta`) and any
 * sidecar a template places outside the folder. Each destination is checked like the owner's: an existing file
 * there is a TARGET_EXISTS blocker, a symlink on the way a SYMLINK_IN_PATH blocker.
 */
export function planSidecarMoves(
  builder: PlanBuilder,
  context: PlanContext,
  source: string,
  target: string,
  folder: string | undefined,
  moving: readonly AssetView[],
): void {
  const rules = sidecarRules(context.state.config);
  if (!rules) return;
  const owners = new Map<string, string>([[source, target]]);
  if (folder !== undefined) {
    for (const file of context.state.files.keys()) {
      if (!isSameOrInside(file, folder) || file === folder) continue;
      // The file and each folder between it and the moved one may own a sidecar outside (with templates that say so).
      for (let owner: string = file; owner !== folder; owner = owner.slice(0, owner.lastIndexOf('/'))) {
        if (owners.has(owner)) break;
        owners.set(owner, target + owner.slice(folder.length));
      }
    }
  }
  const movingIds = new Set(moving.map((asset) => asset.id));
  const seen = new Set<string>();
  for (const [owner, ownerTo] of owners) {
    for (const step of sidecarsMoving(context, owner, ownerTo)) {
      if ((folder !== undefined && isSameOrInside(step.from, folder)) || seen.has(step.from)) continue;
      seen.add(step.from);
      if (!checkDestination(builder, context, step, owner)) continue;
      builder.filesystemMutations.push({ op: 'move', from: step.from, to: step.to, sidecarOf: owner });
      // A sidecar registered as an asset before the rule existed keeps its entry in step with its file.
      const registered = context.state.byPath.get(step.from);
      if (registered && !movingIds.has(registered.id)) {
        const before = entryOf(registered);
        builder.registryMutations.push({ op: 'update', before, after: { ...before, path: step.to } });
      }
    }
  }
}

/**
 * The sidecar steps of removing `asset` with its files: each observed sidecar is deleted too (parked in the trash
 * like the asset's file until the commit is final), also when the asset's own file is already gone. `deleted`
 * holds the paths the plan already deletes; `removedIds` the assets it already unregisters.
 */
export function planSidecarDeletes(
  builder: PlanBuilder,
  context: PlanContext,
  asset: AssetView,
  deleted: Set<string>,
  removedIds: Set<string>,
): void {
  for (const { from: sidecar } of sidecarsMoving(context, asset.path, asset.path)) {
    if (deleted.has(sidecar)) continue;
    deleted.add(sidecar);
    builder.filesystemMutations.push({ op: 'delete', path: sidecar, sidecarOf: asset.path });
    const registered = context.state.byPath.get(sidecar);
    if (registered && !removedIds.has(registered.id)) {
      removedIds.add(registered.id);
      builder.registryMutations.push({ op: 'remove', entry: entryOf(registered) });
    }
  }
}

/**
 * For a relink of an asset its user moved outside the packer (`from` → `to`): moves the sidecars left at the old
 * path to the new one, so the engine's link holds again. Proposed in the plan the user accepts, never done
 * silently; a destination that is not safe to write is left out (the SIDECAR_LEFT_BEHIND warning stays).
 */
export function planLeftBehindSidecars(builder: PlanBuilder, context: PlanContext, from: string, to: string): void {
  const rules = sidecarRules(context.state.config);
  if (!rules) return;
  for (const step of leftBehindSidecars(rules, context.state.files, from, to)) {
    // The file's new name fits, the sidecar's may not (`.import` adds 7 bytes): say so rather than leave it silently.
    const tooLong = nameLengthProblem(context.projectRoot, step.to);
    if (tooLong !== undefined) {
      builder.report(
        diagnostic(
          'SIDECAR_LEFT_BEHIND',
          `The sidecar ${step.from} stays where it is: it cannot follow to ${step.to}, as ${tooLong}.`,
          { path: step.from },
          NAME_LENGTH_HINT,
        ),
      );
      continue;
    }
    if (destinationProblem(context, step) !== undefined || existsOnDisk(context, step.to)) continue;
    builder.filesystemMutations.push({ op: 'move', from: step.from, to: step.to, sidecarOf: from });
  }
}

type Problem = { code: 'INVALID_PATH' | 'PATH_OUTSIDE_PROJECT' | 'SYMLINK_IN_PATH'; message: string; hint: string };

function destinationProblem(context: PlanContext, step: SidecarMove): Problem | undefined {
  const { state } = context;
  if (!assetRootOf(step.to, state.config.assetRoots)) {
    return {
      code: 'INVALID_PATH',
      message: `The sidecar ${step.from} would move to ${step.to}, outside every asset root.`,
      hint: 'Check the "sidecars" templates in packer.json.',
    };
  }
  // `hero.png.import` is 7 bytes longer than its owner: an owner name that fits can still give a sidecar that does not.
  const tooLong = nameLengthProblem(context.projectRoot, step.to);
  if (tooLong !== undefined) {
    return {
      code: 'INVALID_PATH',
      message: `The sidecar ${step.from} would move to ${step.to}, which cannot exist: ${tooLong}.`,
      hint: NAME_LENGTH_HINT,
    };
  }
  const escape = escapeFor(state, step.to);
  if (escape) {
    return {
      code: 'PATH_OUTSIDE_PROJECT',
      message: `The sidecar ${step.from} would move to ${step.to}, through ${escape}, a symlink that points outside the project.`,
      hint: 'Choose a destination that is not behind a symlink.',
    };
  }
  const link = symlinkInPath(context.projectRoot, step.to, true);
  if (link !== undefined) {
    return {
      code: 'SYMLINK_IN_PATH',
      message: `The sidecar ${step.from} would move to ${step.to}, through ${link}, which is a symlink.`,
      hint: 'Move to the real folder the link points to.',
    };
  }
  return undefined;
}

/** Reports what stops a sidecar from reaching its destination; true when nothing does. */
function checkDestination(builder: PlanBuilder, context: PlanContext, step: SidecarMove, owner: string): boolean {
  const problem = destinationProblem(context, step);
  if (problem) {
    builder.report(diagnostic(problem.code, problem.message, { path: step.to }, problem.hint));
    return false;
  }
  // A case-only rename on a case-insensitive disk finds the sidecar itself at its new name: that is no obstacle.
  const caseOnly = step.from.toLowerCase() === step.to.toLowerCase();
  const there =
    context.state.files.has(step.to) ||
    context.state.byPath.has(step.to) ||
    (!caseOnly && existsOnDisk(context, step.to));
  if (there && step.to !== step.from) {
    builder.report(
      diagnostic(
        'TARGET_EXISTS',
        `${step.to} already exists, and the sidecar ${step.from} of ${owner} would move there.`,
        { path: step.to },
        `Move or remove ${step.to} first (an engine may have made it for a file that is no longer there), or choose another destination.`,
      ),
    );
    return false;
  }
  return true;
}

/** On disk even when the scan does not see it (ignored, or newer than the snapshot): a rename must never overwrite
 * it. */
function existsOnDisk(context: PlanContext, relative: string): boolean {
  try {
    lstatSync(toAbsolute(context.projectRoot, relative));
    return true;
  } catch {
    return false;
  }
}

/**
 * Reports a SIDECAR_NOT_ASSET blocker when `path` names a sidecar (an observed file the snapshot holds as one, not
 * as untracked): registering it would make the engine's file an asset of its own. True when it did.
 */
export function reportSidecarNamed(builder: PlanBuilder, context: PlanContext, path: string): boolean {
  const { state } = context;
  const rules = sidecarRules(state.config);
  if (!rules || !state.files.has(path) || state.untrackedByPath.has(path) || state.byPath.has(path)) return false;
  const owners = rules.ownersOf(path);
  if (owners.length === 0) return false;
  const stat = state.files.get(path)!;
  const owner = owners.find((candidate) => state.files.has(candidate) || stat.sidecarOfFolder === candidate);
  const what = owner === undefined ? `its asset ${owners[0]} is not on disk` : `it belongs to ${owner}`;
  builder.report(
    diagnostic(
      'SIDECAR_NOT_ASSET',
      `${path} is a sidecar (packer.json "sidecars"), not an asset: ${what}.`,
      { path },
      owner === undefined
        ? `Restore ${owners[0]}, or delete ${path} if nothing needs it. To make such files assets, take the template out of "sidecars".`
        : `Register ${owner} (\`packer add ${owner}\`): the sidecar moves and is removed with it. To make such files assets, take the template out of "sidecars".`,
    ),
  );
  return true;
}
