import { isSameOrInside } from '../paths/project-path.js';
import { diagnostic } from '../snapshot/diagnostic.js';
import type { SnapshotState } from '../snapshot/snapshot-state.js';
import type { PlanBuilder } from './plan-context.js';

const LISTED = 20;
const HINT = 'Replace the link with the file itself (or move its target into the project), then `packer add` it.';

/**
 * Names each symlink pointing outside the project at or under any of `folders` (everywhere for `.`) in an
 * OUTSIDE_LINK_SKIPPED warning: a folder add goes on past it, as past an odd file name, registering the files beside
 * it; the link is never followed and never silently skipped. Listed up to a limit; one more counts the rest.
 */
export function reportOutsideLinks(builder: PlanBuilder, state: SnapshotState, folders: readonly string[]): void {
  const everywhere = folders.includes('.');
  const links = [...new Set(state.escapes)]
    .filter((link) => everywhere || folders.some((folder) => isSameOrInside(link, folder)))
    .sort();
  for (const link of links.slice(0, LISTED)) {
    builder.report(
      diagnostic(
        'OUTSIDE_LINK_SKIPPED',
        `Not registered: ${link} is a symlink that points outside the project; the other files are.`,
        { path: link },
        HINT,
      ),
    );
  }
  if (links.length > LISTED) {
    builder.report(
      diagnostic(
        'OUTSIDE_LINK_SKIPPED',
        `${links.length - LISTED} more symlinks pointing outside the project are not registered.`,
        folders.length === 1 && !everywhere ? { path: folders[0]! } : {},
        HINT,
      ),
    );
  }
}
