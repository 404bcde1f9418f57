import type { runBuild as runBuildNow } from './processing/run-build.js';

/**
 * `runBuild`, whose module (processors, pack writer, stage workers, remote cache: ~60 modules, ~30 ms) is loaded
 * on the first build, not by whoever imports `@packer/core`: a daemon's start-up serves no build (issue 11, warm
 * open). Same signature and result as the build itself.
 */
export async function runBuild(...args: Parameters<typeof runBuildNow>): ReturnType<typeof runBuildNow> {
  const { runBuild: build } = await import('./processing/run-build.js');
  return build(...args);
}
