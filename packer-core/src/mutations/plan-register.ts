import type { z } from 'zod';
import type { RegisterMutation } from '../contract/mutation-schema.js';
import { newAssetId } from '../ids/asset-id.js';
import { kindClassifier } from '../config/classify-kind.js';
import { statSync } from 'node:fs';
import nodePath from 'node:path';
import { assetRootOf, isSameOrInside, toAbsolute } from '../paths/project-path.js';
import { symlinkInPath } from '../paths/symlink-in-path.js';
import { escapePath, unsupportedNameReason } from '../paths/supported-name.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import { escapeFor, normalizeOrReport, type PlanBuilder, type PlanContext } from './plan-context.js';
import { newEntry } from './registry-entry.js';
import { reportInvalidTags } from './invalid-tags.js';
import { reportOutsideLinks } from './outside-links.js';
import { reportSidecarNamed } from './sidecars.js';
import { hasUnsupportedNames, reportUnsupportedNames } from './unsupported-names.js';

/** Adopts untracked files, or every untracked file under a folder, as new assets with fresh ids (sidecars are never
 * among them). */
export function planRegister(
  builder: PlanBuilder,
  context: PlanContext,
  mutation: z.infer<typeof RegisterMutation>,
): void {
  const { state } = context;
  if (reportInvalidTags(builder, mutation.tags) > 0) return;
  const classify = kindClassifier(state.config);
  const adopted = new Set<string>();
  // Folders being adopted whose odd names (which the registry cannot hold) are left out, each named in a warning.
  const folders: string[] = [];
  for (const input of mutation.paths) {
    // `a\b.txt` names that very file when it exists (input otherwise reads a backslash as a separator). Named by
    // itself, such a file blocks: the user asked for it and the plan cannot give it.
    if (
      unsupportedNameReason(input) !== undefined &&
      reportUnsupportedNames(builder, state, [literalPath(input, context.projectRoot)], 'blocker') > 0
    )
      continue;
    // `packer add .` at the project root means what `git add .` means: every untracked file under every asset root.
    if (namesProjectRoot(input, context.projectRoot)) {
      folders.push('.');
      for (const file of state.snapshot.untracked) adopted.add(file.path);
      continue;
    }
    const path = normalizeOrReport(builder, context, input);
    if (path === undefined) continue;
    if (!assetRootOf(path, state.config.assetRoots) && !state.config.assetRoots.includes(path)) {
      builder.report(
        diagnostic(
          'INVALID_PATH',
          `${path} is outside every asset root (${state.config.assetRoots.join(', ')}).`,
          { path },
          'Move the file into an asset root, or add its folder to "assetRoots" in packer.json.',
        ),
      );
      continue;
    }
    // The path is such a link or lies beyond one: it names what is outside. A link merely inside a named folder is
    // left out with a warning below, like an odd name, and the files beside it are adopted.
    const escape = state.escapes.find((link) => isSameOrInside(path, link));
    if (escape) {
      builder.report(
        diagnostic(
          'PATH_OUTSIDE_PROJECT',
          `${escape} is a symlink that points outside the project.`,
          { path: escape },
          'Replace the link with the file itself.',
        ),
      );
      continue;
    }
    // The scan never follows symlinked folders (not even ones pointing inside the project): an asset registered
    // behind one would read as missing at the next look. Checked on disk, not in the snapshot, which may predate
    // the link. A symlinked file is fine: the scan observes it as the file it points to.
    const link = symlinkInPath(context.projectRoot, path, true);
    if (link !== undefined && !(link === path && isFile(toAbsolute(context.projectRoot, path)))) {
      builder.report(
        diagnostic(
          'SYMLINK_IN_PATH',
          link === path
            ? `${path} is a symlink to a folder, which the packer does not follow.`
            : `${path} goes through ${link}, which is a symlink.`,
          { path },
          'Register the files in the real folder the link points to.',
        ),
      );
      continue;
    }
    const registered = state.byPath.get(path);
    if (registered) {
      builder.report(
        diagnostic('ALREADY_REGISTERED', `${path} is already registered as ${registered.id}.`, {
          assetId: registered.id,
          path,
        }),
      );
      continue;
    }
    if (reportSidecarNamed(builder, context, path)) continue;
    const files = state.untrackedByPath.has(path)
      ? [path]
      : state.snapshot.untracked.filter((file) => isSameOrInside(file.path, path)).map((file) => file.path);
    if (files[0] !== path) folders.push(path);
    // A folder holding only odd names or outside links: its warnings (below) say why nothing is registered there.
    if (files.length === 0 && (hasUnsupportedNames(state, path) || escapeFor(state, path) !== undefined)) continue;
    if (files.length === 0) {
      const anyRegistered = state.snapshot.assets.some((asset) => isSameOrInside(asset.path, path));
      if (!anyRegistered)
        builder.report(
          diagnostic('NOT_FOUND', `Nothing to register at ${path}: no such file or folder under the asset roots.`, {
            path,
          }),
        );
      continue;
    }
    for (const file of files) adopted.add(file);
  }
  // A file the registry cannot hold does not stop its folder: the good files are adopted, each odd one is named in a
  // warning (skipping it silently would hide it; adding it would write a registry the packer refuses to read).
  if (folders.length > 0) {
    reportUnsupportedNames(builder, state, folders.includes('.') ? undefined : folders, 'warning');
    reportOutsideLinks(builder, state, folders);
  }
  for (const path of [...adopted].sort()) {
    builder.registryMutations.push({
      op: 'add',
      entry: newEntry(newAssetId(), path, classify(path), mutation.tags),
    });
  }
}

function isFile(absolute: string): boolean {
  try {
    return statSync(absolute).isFile();
  } catch {
    return false;
  }
}

/** The scanner's key for `input` taken literally (backslashes as characters), relative to the project. */
function literalPath(input: string, projectRoot: string): string {
  const relative = nodePath.isAbsolute(input) ? nodePath.relative(projectRoot, input) : input;
  return escapePath(nodePath.posix.normalize(relative).replace(/\/+$/, ''));
}

/** True when the input (relative to the project, or absolute) is the project folder itself. */
function namesProjectRoot(input: string, projectRoot: string): boolean {
  return (
    input.length > 0 &&
    !input.includes('\0') &&
    nodePath.resolve(projectRoot, input.replace(/\\/g, '/')) === nodePath.resolve(projectRoot)
  );
}
