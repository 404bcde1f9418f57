import type { DaemonHooks } from '../daemon-hooks.js';

/**
 * Kills this process with SIGKILL (a real crash, no cleanup) when it reaches `point`: a commit point of an apply
 * (`journal-written`, …) or a build step (`build:packs-staged`, `build:manifest-committed:<pack>`, …).
 */
export function crashHooksAt(point: string | undefined): Pick<DaemonHooks, 'commitHook' | 'buildCrashHook'> {
  if (!point) return {};
  const crash = (reached: string) => {
    if (reached === point) process.kill(process.pid, 'SIGKILL');
  };
  return point.startsWith('build:') ? { buildCrashHook: crash } : { commitHook: crash };
}
