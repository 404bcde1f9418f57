import { availableParallelism } from 'node:os';

/** Default pool size: the number of cores. */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Runs `work` over `items` with at most `concurrency` calls in flight. Items are pulled from the iterator
 * only when a slot frees up (backpressure: nothing is started or buffered ahead), and no new item starts
 * once `signal` aborts; calls already running get the signal themselves. Resolves when every started call
 * has settled; rejects with the first error any call threw (after the others have settled).
 */
export async function runPool<T>(
  items: Iterable<T>,
  options: { concurrency: number; signal?: AbortSignal | undefined },
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failure: { error: unknown } | undefined;
  const runner = async (): Promise<void> => {
    for (;;) {
      if (failure || options.signal?.aborted) return;
      const next = iterator.next();
      if (next.done) return;
      try {
        await work(next.value);
      } catch (error) {
        failure ??= { error };
        return;
      }
    }
  };
  const size = Math.max(1, Math.floor(options.concurrency));
  await Promise.all(Array.from({ length: size }, runner));
  if (failure) throw failure.error;
}
