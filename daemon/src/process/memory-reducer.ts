import v8 from 'node:v8';

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
