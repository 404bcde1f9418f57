import { describe, expect, it } from 'vitest';
import { runPool } from './worker-pool.js';

/** A task the test finishes by hand, so nothing depends on timing. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('runPool', () => {
  it('keeps at most `concurrency` calls in flight and pulls items only when a slot frees', async () => {
    const pulled: number[] = [];
    function* items(): Generator<number> {
      for (let i = 0; i < 10; i++) {
        pulled.push(i);
        yield i;
      }
    }
    const gates = new Map<number, ReturnType<typeof deferred>>();
    let running = 0;
    let peak = 0;
    const done = runPool(items(), { concurrency: 3 }, async (item) => {
      running++;
      peak = Math.max(peak, running);
      const gate = deferred();
      gates.set(item, gate);
      await gate.promise;
      running--;
    });
    await tick();
    expect(pulled).toEqual([0, 1, 2]);
    gates.get(1)!.resolve();
    await tick();
    expect(pulled).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 10; i++) {
      await tick();
      for (const [item, gate] of gates) if (item !== 0 || i > 5) gate.resolve();
    }
    await done;
    expect(peak).toBe(3);
    expect(pulled).toHaveLength(10);
  });

  it('starts nothing new once the signal aborts, and reports the first error after the others settle', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runPool([1, 2, 3, 4, 5], { concurrency: 2, signal: controller.signal }, async (item) => {
      started.push(item);
      if (item === 2) controller.abort();
      await tick();
    });
    expect(started).toEqual([1, 2]);

    const settled: number[] = [];
    const failing = runPool([1, 2, 3], { concurrency: 2 }, async (item) => {
      if (item === 1) throw new Error('boom');
      await tick();
      settled.push(item);
    });
    await expect(failing).rejects.toThrow('boom');
    expect(settled).toEqual([2]);
  });
});
