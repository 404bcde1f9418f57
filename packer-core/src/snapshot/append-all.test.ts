import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appendAll } from './append-all.js';

const MILLION = 1_000_000;

describe('appendAll', () => {
  it('appends a million items (what a 1M-file add hands it) where push(...items) overflows the stack', () => {
    const touched = Array.from({ length: MILLION }, (_, index) => [`assets/f${index}.bin`, index] as const);
    // The spread the observer used: refused by V8 at this size, which turned a committed 1M add into INTERNAL.
    expect(() => [['assets/first.bin', -1] as const].push(...touched)).toThrow(RangeError);

    const target: (readonly [string, number])[] = [['assets/first.bin', -1]];
    expect(appendAll(target, touched)).toBe(target);
    expect(target).toHaveLength(MILLION + 1);
    expect(target[0]).toEqual(['assets/first.bin', -1]);
    expect(target[1]).toBe(touched[0]);
    expect(target[MILLION]).toBe(touched[MILLION - 1]);
  });

  it('takes any iterable, in order', () => {
    expect(appendAll([1], new Set([2, 3]))).toEqual([1, 2, 3]);
    expect(appendAll([], [])).toEqual([]);
  });
});

/**
 * The guard against the next one: a call in packer-core or the daemon that spreads a list into arguments
 * (push/unshift/splice, Math.min/max) goes through appendAll or a loop, unless it is listed here with why its list
 * stays small whatever the project's size.
 */
const BOUNDED: Record<string, string> = {
  'packs/recover-build.ts: removed.push(...removeUnreferencedPacks(': 'pack files of the project',
  'processing/build-blockers.ts: out.push(...toolSettingBlockers(': 'settings of one asset',
  'processing/build-jobs.ts: results.push(...(await Promise.allSettled(processing)));': 'jobs in flight',
  'processing/output-cache.ts: this.nextSegment = Math.max(0, ...': 'segment files of the output cache',
  'processing/run-build.ts: outcomes.push(...slots.filter(Boolean))': 'pack slots (at most 8)',
  'registry/registry-lines.ts: removed.push(...out.canonical.splice(index, 1));': 'one item',
  'snapshot/lazy-snapshot.ts: out.push(...list);': 'diagnostics of one key',
  'snapshot/persistent-map.ts: chunks.splice(at, 1, ...replacement);': 'chunks of 256 keys split from one chunk',
};

/** Whether `line` of `file` is the listed `site` ("<file>: <code it contains>"). */
function isSite(site: string, file: string, line: string): boolean {
  const at = site.indexOf(': ');
  return site.slice(0, at) === file && line.includes(site.slice(at + 2));
}

describe('no argument spreads that grow with the project', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const roots = [path.resolve(here, '..'), path.resolve(here, '../../../daemon/src')];
  const spread = /\.(?:push|unshift|splice)\((?:[^()]*,\s*)?\.\.\.|Math\.(?:min|max)\((?:[^()]*,\s*)?\.\.\./;

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sources(full);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
    });
  }

  it('packer-core and daemon sources use appendAll or a loop, or a list known to stay small', () => {
    const offenders = roots.flatMap((root) =>
      sources(root).flatMap((file) => {
        const relative = path.relative(root, file).split(path.sep).join('/');
        return readFileSync(file, 'utf8')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => spread.test(line) && !line.startsWith('*') && !line.startsWith('//'))
          .filter((line) => !Object.keys(BOUNDED).some((site) => isSite(site, relative, line)))
          .map((line) => `${relative}: ${line}`);
      }),
    );
    expect(offenders).toEqual([]);
  });
});
