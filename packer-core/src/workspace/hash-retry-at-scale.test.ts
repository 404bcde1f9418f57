import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeTempProject } from '../testing/temp-project.js';

// The compiled core (run `npx tsc -b` first), in a child whose stack is a tenth of the default: V8 then refuses a
// call spread of ~20,000 arguments, as it refuses ~200,000 with the default stack. The 1M-file add that reported
// INTERNAL (Maximum call stack size exceeded) had committed, then joined the registered files its second derivation
// touched to the first one's with `push(...list)`: a million arguments.
const CORE = import.meta.resolve('@packer/core');
const DIGEST_CACHE = new URL('../../dist/digest/digest-cache.js', import.meta.url).href;
const STACK_KB = 100;
const COUNT = 20_000;

/**
 * Registers every file of `root` in a child process where the first large hashing pass reads nothing (as when the
 * files are unreadable or replaced while being hashed), so the derivation after the commit runs twice over all of
 * them. Prints the snapshot's summary and how many assets show a digest.
 */
function registerAllWithFirstHashingFailed(root: string) {
  const script = `
const { Workspace } = await import(${JSON.stringify(CORE)});
const { DigestCache } = await import(${JSON.stringify(DIGEST_CACHE)});
const ensure = DigestCache.prototype.ensure;
let failed = false;
DigestCache.prototype.ensure = async function (projectRoot, files) {
  const list = [...files];
  if (!failed && list.length >= 1000) { failed = true; return list.length; } // every read failed: nothing cached
  return ensure.call(this, projectRoot, list);
};
const workspace = await Workspace.open(${JSON.stringify(root)});
try {
  const plan = workspace.preview({ type: 'register', paths: ['assets'] });
  await workspace.apply({ type: 'register', paths: ['assets'] }, { expectedRevision: plan.baseRevision, previewed: plan });
  const { summary, assets } = workspace.snapshot;
  console.log(JSON.stringify({ failed, summary, withDigest: assets.filter((asset) => asset.observation?.digest).length }));
} finally {
  await workspace.close();
}`;
  const child = spawnSync(process.execPath, [`--stack-size=${STACK_KB}`, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`the register process failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout) as {
    failed: boolean;
    summary: { assets: number; untracked: number };
    withDigest: number;
  };
}

describe('a large add whose files are hashed on a second pass', () => {
  it('completes with every file registered and hashed (no argument spread of every touched file)', () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < COUNT; index++)
      files[`assets/set-${index % 40}/file-${index}.txt`] = `content ${index}`;
    const root = makeTempProject(files);

    const outcome = registerAllWithFirstHashingFailed(root);

    expect(outcome.failed).toBe(true);
    expect(outcome.summary).toMatchObject({ assets: COUNT, untracked: 0 });
    expect(outcome.withDigest).toBe(COUNT);
  }, 120_000);
});
