/**
 * Failure injection between the steps that put packs in place (tests only; the daemon's test entry passes one
 * through `BuildOptions.crashHook`). Points, in order:
 * `build:packs-staged`, `build:journal-written`, `build:pack-placed:<name>`, `build:packs-placed`,
 * `build:manifest-committed:<name>`, `build:old-packs-removed`, `build:state-saved`.
 */
export type BuildCrashHook = (point: string) => void;
