import path from 'node:path';
import { isAssetId } from '@packer/core/contract/runtime';

/**
 * A path argument as the packer expects it: resolved against the working folder (`-C`, as git, make and tar read
 * it), then made relative to the project root. Path arithmetic only; whether the path is acceptable is the
 * packer's call (a path outside the project goes as the absolute path typed, and the packer refuses it).
 */
export function projectPathOf(workingFolder: string, root: string, argument: string): string {
  const absolute = path.resolve(workingFolder, argument);
  const relative = path.relative(root, absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return absolute;
  return relative.split(path.sep).join('/') + (argument.endsWith('/') ? '/' : '');
}

/** An asset reference argument: ids pass through, paths become project paths. */
export function assetRefOf(workingFolder: string, root: string, argument: string): string {
  return isAssetId(argument) ? argument : projectPathOf(workingFolder, root, argument);
}
