import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How V8 gives memory back after a burst of work (issue 11: 0 % CPU at rest). Its memory reducer waits for a quiet
 * heap, then runs up to three full GCs to shrink it. Measured with `--trace-gc` on a 100k project after 50 outside
 * changes: the first of the three gave back everything (114.6 -> 76.6 MB) and the other two nothing, for ~45 CPU
 * ticks in all; with one GC, 10-19 ticks and the same VmRSS after (205-207 MB).
 *
 * Set at run time, not on the command line: V8 flags come and go between Node majors, and an unknown one on the
 * command line stops node from starting, where here it is only reported on stderr (the daemon's goes nowhere). (The
 * reducer's start delay, read once when the heap is set up, cannot be changed this way.)
 */
export function settleInOneGc(): void {
  v8.setFlagsFromString('--memory-reducer-single-gc');
}

/** How long the lane must have been busy for what it leaves behind to be collected at once. */
export const BURST_MS = 1_000;

/**
 * Collects what a burst of work left behind once the lane runs dry (issue 11: peak RSS under load). V8's memory
 * reducer does the same only after ~8 s of quiet, so a build that followed a cold build or a 100k add started on top
 * of the previous one's garbage: with a full GC in between, a no-change build after a cold build peaked at 123 MB of
 * heap in use instead of 159 MB, a one-file build at 125 MB instead of 184 MB (100k files). Only after a burst of
 * BURST_MS or more: a one-asset set or a no-change build leaves little, and a full GC of a 100k project's heap costs
 * ~0.1 s.
 */
export function collectBurstGarbage(
  burstMs = BURST_MS,
  gc: (() => void) | undefined = exposedGc(),
  stillIdle: () => boolean = () => true,
): ((busyMs: number) => void) | undefined {
  if (!gc) return undefined;
  return (busyMs) => {
    if (busyMs < burstMs) return;
    // After the terminal event has gone out, not in its way; and not once the next operation has started (the memory
    // reducer gets to it later).
    setImmediate(() => {
      if (stillIdle()) gc();
    });
  };
}

/** V8's `gc()`, without `--expose-gc` on the command line (set at run time, as above). */
function exposedGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
