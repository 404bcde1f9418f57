// The command-line baselines of DESIGN.md §11, run as whole processes on the same tree in the same run.
import { runProcess } from './run-process.mjs';

/** Baseline name → one run over a project root (output to /dev/null). */
export const BASELINES = {
  /** Walk + stat of every file: the floor for a scan. */
  find: (root) => runProcess('find', [root, '-type', 'f', '-printf', '%s %T@ %p\\n']),
  /** Read + sha256 of every file, two processes in parallel: the floor for hashing on 2 cores. */
  'find+sha256sum': (root) =>
    runProcess('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 -P2 sha256sum >/dev/null', 'sh', root]),
  /** Starting and stopping node: the floor for any whole-process number. */
  'node -e 0': () => runProcess(process.execPath, ['-e', '0']),
};
