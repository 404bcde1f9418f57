import { lstatSync, mkdirSync, realpathSync, renameSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '../contract/errors.js';
import { toAbsolute } from '../paths/project-path.js';
import { assertRealParents } from '../paths/symlink-in-path.js';
import type { JournalStep } from './journal-file.js';

function exists(absolute: string): boolean {
  try {
    lstatSync(absolute);
    return true;
  } catch {
    return false;
  }
}

function sameFile(a: string, b: string): boolean {
  const first = lstatSync(a);
  const second = lstatSync(b);
  return first.ino === second.ino && first.dev === second.dev;
}

/** True when the real parent folder of `relative` is exactly where the project says it is. */
function landedInside(projectRoot: string, relative: string): boolean {
  const parent = path.posix.dirname(relative);
  const root = realpathSync.native(projectRoot);
  const expected = parent === '.' ? root : path.join(root, ...parent.split('/'));
  try {
    return realpathSync.native(path.dirname(toAbsolute(projectRoot, relative))) === expected;
  } catch {
    return false;
  }
}

function moveIfPossible(projectRoot: string, from: string, to: string): 'moved' | 'already' | 'lost' {
  const action = `move ${from} to ${to}`;
  // Checked now, not at plan time: a folder swapped for a symlink since then must not carry files out of the project.
  assertRealParents(projectRoot, from, action);
  assertRealParents(projectRoot, to, action);
  const source = toAbsolute(projectRoot, from);
  const target = toAbsolute(projectRoot, to);
  const sourceThere = exists(source);
  const targetThere = exists(target);
  // A case-only rename on a case-insensitive filesystem sees both names as present, as one file. On a
  // case-sensitive one they can be two files, and renaming would overwrite the other.
  const caseOnly =
    from.toLowerCase() === to.toLowerCase() && from !== to && sourceThere && targetThere && sameFile(source, target);
  if (sourceThere && (!targetThere || caseOnly)) {
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(source, target);
    // The window between the check and the rename (mkdir -p included) is small but real: verify where the file
    // landed, and put it back if a swapped folder carried it elsewhere.
    if (!landedInside(projectRoot, to)) {
      renameSync(target, source);
      throw new PackerError(
        'SYMLINK_IN_PATH',
        `Cannot ${action}: a folder on the way to ${to} was replaced while the packer moved the file.`,
        {
          path: to,
          hint: 'Check the folders on that path for symlinks, restore them, then preview again.',
        },
      );
    }
    return 'moved';
  }
  if (targetThere) return 'already';
  return 'lost';
}

/** Performs one step forward; idempotent ("move A→B if A exists and B does not"). */
export function redoStep(projectRoot: string, step: JournalStep): 'moved' | 'already' | 'lost' {
  return step.op === 'move'
    ? moveIfPossible(projectRoot, step.from, step.to)
    : moveIfPossible(projectRoot, step.path, step.trash);
}

/** Undoes one step; idempotent ("move B→A if B exists and A does not"). */
export function undoStep(projectRoot: string, step: JournalStep): 'moved' | 'already' | 'lost' {
  return step.op === 'move'
    ? moveIfPossible(projectRoot, step.to, step.from)
    : moveIfPossible(projectRoot, step.trash, step.path);
}
