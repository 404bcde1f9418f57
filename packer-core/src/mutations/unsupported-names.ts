import { isSameOrInside } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import type { PlanBuilder } from './plan-context.js';

const LISTED = 20;
const HINT =
  'Rename the file without backslashes or control characters, as valid UTF-8 (or add it to "ignore" in packer.json), then retry.';

/**
 * Reports an INVALID_PATH blocker for each observed file whose name the registry cannot hold, at or under
 * `under` (everywhere when omitted): a plan that would adopt it must not pretend it does not exist, and must not
 * write it either. Returns how many there were. Listed up to a limit; the rest are counted in one more blocker.
 */
export function reportUnsupportedNames(builder: PlanBuilder, state: SnapshotState, under?: string): number {
  let count = 0;
  for (const [path, stat] of state.files) {
    if (!stat.unsupported || (under !== undefined && !isSameOrInside(path, under))) continue;
    if (count++ < LISTED) {
      const what = stat.unsupported.folder ? 'folder' : 'file';
      builder.report(
        diagnostic(
          'INVALID_PATH',
          `The ${what} ${path} (shown escaped) cannot be registered: its name holds ${stat.unsupported.reason}, which the registry cannot hold.`,
          { path },
          HINT,
        ),
      );
    }
  }
  if (count > LISTED) {
    builder.report(
      diagnostic(
        'INVALID_PATH',
        `${count - LISTED} more files${under === undefined ? '' : ` under ${under}`} have names the registry cannot hold.`,
        under === undefined ? {} : { path: under },
        HINT,
      ),
    );
  }
  return count;
}
