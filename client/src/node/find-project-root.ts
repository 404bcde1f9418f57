import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '@packer/core/contract/runtime';
import { nearestProjectRoot } from './nearest-project-root.js';

/** The nearest folder at or above `from` that holds a `packer.json`. */
export function findProjectRoot(from: string = process.cwd()): string {
  const root = nearestProjectRoot(from);
  if (root !== undefined) return root;
  // A mistyped -C: say that the folder is not there, not that it holds no project.
  if (!existsSync(from))
    throw new PackerError('INVALID_CONFIG', `No such folder: ${path.resolve(from)}.`, {
      from: path.resolve(from),
      hint: 'Check the path given to -C (or the current folder).',
    });
  throw new PackerError('INVALID_CONFIG', `No packer.json found in ${path.resolve(from)} or any folder above it.`, {
    from: path.resolve(from),
    hint: 'Run `packer init` to create a project, or pass -C <project dir>.',
  });
}
