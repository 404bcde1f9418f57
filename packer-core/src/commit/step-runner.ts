import { lstatSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { toAbsolute } from '../paths/project-path.js';
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

function moveIfPossible(projectRoot: string, from: string, to: string): 'moved' | 'already' | 'lost' {
  const source = toAbsolute(projectRoot, from);
  const target = toAbsolute(projectRoot, to);
  const sourceThere = exists(source);
  const targetThere = exists(target);
  // A case-only rename on a case-insensitive filesystem sees both names as present, as one file. On a
  // case-sensitive one they can be two files, and renaming would overwrite the other.
  const caseOnly = from.toLowerCase() === to.toLowerCase() && from !== to && sourceThere && targetThere && sameFile(source, target);
  if (sourceThere && (!targetThere || caseOnly)) {
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(source, target);
    return 'moved';
  }
  if (targetThere) return 'already';
  return 'lost';
}

/** Performs one step forward; idempotent ("move A→B if A exists and B does not"). */
export function redoStep(projectRoot: string, step: JournalStep): 'moved' | 'already' | 'lost' {
  return step.op === 'move' ? moveIfPossible(projectRoot, step.from, step.to) : moveIfPossible(projectRoot, step.path, step.trash);
}

/** Undoes one step; idempotent ("move B→A if B exists and A does not"). */
export function undoStep(projectRoot: string, step: JournalStep): 'moved' | 'already' | 'lost' {
  return step.op === 'move' ? moveIfPossible(projectRoot, step.to, step.from) : moveIfPossible(projectRoot, step.trash, step.path);
}
