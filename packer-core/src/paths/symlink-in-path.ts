import { lstatSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';

/**
 * The first component of a project-relative path, walking down from the project root, that is a symlink
 * (with `strict`, also a folder component that is not a folder at all). `includeSelf` checks the last component too.
 * Missing components end the walk: nothing below a missing folder can be a symlink yet.
 */
export function symlinkInPath(
  projectRoot: string,
  relative: string,
  includeSelf = false,
  strict = false,
): string | undefined {
  const parts = relative.split('/');
  const count = includeSelf ? parts.length : parts.length - 1;
  for (let index = 1; index <= count; index++) {
    const prefix = parts.slice(0, index).join('/');
    let stats;
    try {
      stats = lstatSync(path.join(projectRoot, ...parts.slice(0, index)));
    } catch {
      return undefined;
    }
    if (stats.isSymbolicLink()) return prefix;
    if (strict && index < parts.length && !stats.isDirectory()) return prefix;
  }
  return undefined;
}

/**
 * Throws SYMLINK_IN_PATH unless every folder from the project root down to `relative`'s parent is a real
 * folder: checked at the moment a step acts, so a folder swapped for a symlink mid-apply cannot redirect it.
 */
export function assertRealParents(projectRoot: string, relative: string, action: string): void {
  const found = symlinkInPath(projectRoot, relative, false, true);
  if (found === undefined) return;
  throw new PackerError(
    'SYMLINK_IN_PATH',
    `Cannot ${action}: ${found} is no longer a real folder inside the project (it is a symlink or a file).`,
    {
      path: found,
      target: relative,
      hint: `Something replaced ${found} while the packer was working. Check what it points to, restore the folder, then preview again.`,
    },
  );
}
