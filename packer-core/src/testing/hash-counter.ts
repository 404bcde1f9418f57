// No runtime import of the hasher here: this module is loaded from inside the `hash-files.js` mock's factory.
import path from 'node:path';
import type * as HashFiles from '../digest/hash-files.js';

/** Absolute paths of every file hashed since the test last took them. Made with `vi.hoisted`. */
export interface HashCounter {
  hashed: string[];
}

/**
 * The real hash-files module with `hashFiles` wrapped to count what it hashes (files stay real: no filesystem mock).
 * For a test file's `vi.mock('…/hash-files.js', …)` factory.
 */
export function countingHasher(actual: typeof HashFiles, counter: HashCounter): typeof HashFiles {
  return {
    ...actual,
    hashFiles: async (files) => {
      for (const file of files) counter.hashed.push(file.absolute);
      return actual.hashFiles(files);
    },
  };
}

/** Project-relative paths hashed since the last call, sorted; the counter starts again. */
export function takeHashed(counter: HashCounter, root: string): string[] {
  const out = counter.hashed.map((absolute) => path.relative(root, absolute).split(path.sep).join('/')).sort();
  counter.hashed = [];
  return out;
}

/** The small project the digest tests hash. */
export const DIGEST_TEST_FILES = {
  'assets/hero.png': 'png-bytes-hero',
  'assets/ui/button.png': 'png-bytes-button',
  'assets/levels/one.json': '{"a":1}',
  'assets/readme.txt': 'hello',
};
