import { isSameOrInside } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import type { PlanBuilder } from './plan-context.js';

const LISTED = 20;
const HINT =
  'Rename the file without backslashes or control characters, as valid UTF-8 (or add it to "ignore" in packer.json), then retry.';
const SKIPPED_HINT =
  'Rename it without backslashes or control characters, as valid UTF-8, then `packer add` it (or add it to "ignore" in packer.json).';

/**
 * Reports each observed file whose name the registry cannot hold, at or under any of `under` (everywhere when
 * omitted), and returns how many there were. Listed up to a limit; the rest are counted in one more diagnostic.
 * - `blocker` (the file or its folder was named by its own odd name): INVALID_PATH, since a plan that was asked to
 *   adopt it must not pretend it does not exist, and must not write it either;
 * - `warning` (a folder add or a reconcile adopting "every untracked file"): UNSUPPORTED_FILE_NAME on the plan, so the
 *   good files beside it are adopted and the odd ones are named as left out, never skipped silently.
 */
export function reportUnsupportedNames(
  builder: PlanBuilder,
  state: SnapshotState,
  under: readonly string[] | undefined,
  as: 'blocker' | 'warning',
): number {
  let count = 0;
  for (const [path, stat] of state.files) {
    if (!stat.unsupported || (under !== undefined && !under.some((folder) => isSameOrInside(path, folder)))) continue;
    if (count++ >= LISTED) continue;
    const what = stat.unsupported.folder ? 'folder' : 'file';
    builder.report(
      as === 'blocker'
        ? diagnostic(
            'INVALID_PATH',
            `The ${what} ${path} (shown escaped) cannot be registered: its name holds ${stat.unsupported.reason}, which the registry cannot hold.`,
            { path },
            HINT,
          )
        : diagnostic(
            'UNSUPPORTED_FILE_NAME',
            `Not registered: the ${what} ${path} (shown escaped) has a name holding ${stat.unsupported.reason}, which the registry cannot hold${stat.unsupported.folder ? ' (nothing under it is seen)' : ''}; the other files are.`,
            { path },
            SKIPPED_HINT,
          ),
    );
  }
  if (count > LISTED) {
    const where = under === undefined || under.length !== 1 ? '' : ` under ${under[0]}`;
    builder.report(
      diagnostic(
        as === 'blocker' ? 'INVALID_PATH' : 'UNSUPPORTED_FILE_NAME',
        `${count - LISTED} more files${where} have names the registry cannot hold${as === 'blocker' ? '' : ' and are not registered'}.`,
        under?.length === 1 ? { path: under[0]! } : {},
        as === 'blocker' ? HINT : SKIPPED_HINT,
      ),
    );
  }
  return count;
}

/** Whether any observed file or folder at or under `folder` has a name the registry cannot hold. */
export function hasUnsupportedNames(state: SnapshotState, folder: string): boolean {
  for (const [path, stat] of state.files) if (stat.unsupported && isSameOrInside(path, folder)) return true;
  return false;
}
