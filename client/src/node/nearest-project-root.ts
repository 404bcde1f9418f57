import { existsSync } from 'node:fs';
import path from 'node:path';

/** The nearest folder at or above `from` that holds a `packer.json`, or undefined. Node built-ins only. */
export function nearestProjectRoot(from: string = process.cwd()): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'packer.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
