import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import { escapePath, unsupportedNameReason } from './supported-name.js';

const DRIVE_PREFIX = /^[A-Za-z]:\//;

/**
 * Normalises a user- or registry-supplied path to the project-relative form the registry stores:
 * `/` separators, no `.` or `..` segments, no leading `./`, no trailing `/`.
 * Absolute paths are accepted only when they point inside the project.
 * A backslash in input is read as a separator; a name the registry cannot hold (control character, unpaired
 * surrogate) is refused. Throws INVALID_PATH (empty, NUL byte, unsupported name) or PATH_OUTSIDE_PROJECT.
 */
export function normalizeProjectPath(input: string, projectRoot: string): string {
  if (typeof input !== 'string' || input.length === 0) {
    throw new PackerError('INVALID_PATH', 'Expected a non-empty path, got an empty string.', { path: input });
  }
  if (input.includes('\0')) {
    throw new PackerError('INVALID_PATH', `Expected a path without NUL bytes, got ${JSON.stringify(input)}.`, {
      path: input,
    });
  }
  const unified = input.replace(/\\/g, '/');
  const outside = (): PackerError =>
    new PackerError('PATH_OUTSIDE_PROJECT', `The path ${JSON.stringify(input)} resolves outside the project.`, {
      path: input,
      hint: 'Use a path inside the project folder.',
    });
  const drive = DRIVE_PREFIX.test(unified);
  // A Windows drive path cannot name anything inside a POSIX project; resolving it would make it relative to the cwd.
  if (drive && path.sep === '/') throw outside();
  let relative: string;
  if (path.posix.isAbsolute(unified) || drive) {
    relative = path.relative(projectRoot, path.resolve(unified)).split(path.sep).join('/');
    if (path.isAbsolute(relative)) relative = '../' + relative;
  } else {
    relative = unified;
  }
  const normalized = path.posix.normalize(relative).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../') || path.posix.isAbsolute(normalized)) throw outside();
  // "C:/x" would read as a drive path when normalised again (and ':' is not portable): refuse it, keeping this
  // idempotent.
  if (DRIVE_PREFIX.test(normalized)) {
    throw new PackerError(
      'INVALID_PATH',
      `The path ${JSON.stringify(input)} starts with a drive-letter folder (${normalized.slice(0, 2)}), which reads as a Windows drive.`,
      {
        path: input,
        hint: 'Rename the folder without the colon.',
      },
    );
  }
  if (normalized === '.' || normalized === '') {
    throw new PackerError(
      'INVALID_PATH',
      `The path ${JSON.stringify(input)} names the project root, not a file or folder in it.`,
      { path: input },
    );
  }
  // Checked on the project-relative result, so a project folder with an odd name of its own still works.
  const unsupported = unsupportedNameReason(normalized);
  if (unsupported) {
    throw new PackerError(
      'INVALID_PATH',
      `The path "${escapePath(input)}" holds ${unsupported}, which the registry cannot hold.`,
      {
        path: input,
        hint: 'Rename the file or folder without control characters (as valid UTF-8), then retry.',
      },
    );
  }
  return normalized;
}

/** True when `child` equals `parent` or lies below it (both project-relative, normalised; `.` is the project root). */
export function isSameOrInside(child: string, parent: string): boolean {
  return child === parent || parent === '.' || child.startsWith(parent + '/');
}

/** Absolute OS path for a project-relative path. */
export function toAbsolute(projectRoot: string, relative: string): string {
  return path.join(projectRoot, ...relative.split('/'));
}

/** The asset root that holds `relative`, if any. */
export function assetRootOf(relative: string, assetRoots: readonly string[]): string | undefined {
  return assetRoots.find((root) => isSameOrInside(relative, root) && relative !== root);
}
