import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackerError } from '@packer/core/contract/runtime';

/** The nearest folder at or above `from` that holds a `packer.json`. */
export function findProjectRoot(from: string = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'packer.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new PackerError('INVALID_CONFIG', `No packer.json found in ${path.resolve(from)} or any folder above it.`, {
        from: path.resolve(from),
        hint: 'Run `packer init` to create a project, or pass -C <project dir>.',
      });
    }
    dir = parent;
  }
}
