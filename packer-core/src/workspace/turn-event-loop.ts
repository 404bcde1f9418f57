/** Lets pending I/O callbacks run (an `await` of a settled promise runs only microtasks). */
export function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * How long work in slices runs before it lets the event loop turn: a daemon answers hello and health while it opens
 * or rescans a large project (at 1M files a walk takes 13 s or more, and a `packer status` sent meanwhile gave up on
 * hello with NOT_READY).
 */
export const SLICE_MS = 25;

/** Runs a job's steps to its end at once and returns its result. */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Runs a job's steps to its end, letting the event loop turn about every `sliceMs` (between two steps). */
export async function runStepsInSlices<T>(steps: Generator<void, T, void>, sliceMs = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart < sliceMs) continue;
    await turnEventLoop();
    sliceStart = performance.now();
  }
}

/**
 * For an async loop over many items: `await clock.pause()` lets the event loop turn once about every `sliceMs` has
 * passed (ask it every few hundred items; an `await` per item of a 1M-item loop costs a microtask each).
 */
export class SliceClock {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await turnEventLoop();
    this.sliceStart = performance.now();
  }
}
