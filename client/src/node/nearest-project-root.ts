import { existsSync } from 'node:fs';
import path from 'node:path';

/** The nearest folder at or above `from` (which must exist) holding a `packer.json`, or undefined. Built-ins only. */
export function nearestProjectRoot(from: string = process.cwd()): string | undefined {
  let dir = path.resolve(from);
  // A folder that is not there is in no project (as `git -C`), even when a folder above it holds one.
  if (!existsSync(dir)) return undefined;
  for (;;) {
    if (existsSync(path.join(dir, 'packer.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
