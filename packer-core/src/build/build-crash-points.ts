/**
 * Failure injection between the steps that put packs in place (tests only). Points, in order:
 * `build:packs-staged`, `build:journal-written`, `build:pack-placed:<name>`, `build:packs-placed`,
 * `build:manifest-committed:<name>`, `build:old-packs-removed`, `build:state-saved`.
 */
export type BuildCrashHook = (point: string) => void;

/** PACKER_TEST_HOOKS=1 with PACKER_TEST_CRASH_AT=<point> kills the process there with SIGKILL (a real crash). */
export function buildCrashHookFromEnv(env: NodeJS.ProcessEnv = process.env): BuildCrashHook | undefined {
  const at = env.PACKER_TEST_HOOKS === '1' ? env.PACKER_TEST_CRASH_AT : undefined;
  if (!at?.startsWith('build:')) return undefined;
  return (point) => {
    if (point === at) process.kill(process.pid, 'SIGKILL');
  };
}
