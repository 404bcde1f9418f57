import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { OperationLane } from '../lane/operation-lane.js';
import { collectBurstGarbage } from './memory-reducer.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('collectBurstGarbage', () => {
  it('is told by the lane once per burst, with how long the lane was busy, after the last terminal event', async () => {
    const bursts: number[] = [];
    const events: string[] = [];
    const lane = new OperationLane(
      (event) => void events.push(event.type),
      () => 1,
      undefined,
      (busyMs) => bursts.push(busyMs),
    );
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const task = (wait?: Promise<void>) => ({
      kind: 'build' as const,
      summary: 'test',
      actor: { client: 'test' },
      run: async () => {
        await wait;
        return { revisionAfter: 1, result: undefined };
      },
    });
    const first = lane.enqueue(task(held));
    const second = lane.enqueue(task());
    const started = Date.now();
    await turn();
    expect(bursts).toEqual([]);
    release();
    await Promise.all([first.done, second.done]);
    await turn();
    // Two operations back to back are one burst; the lane was busy at least as long as the first was held.
    expect(bursts).toHaveLength(1);
    expect(bursts[0]).toBeLessThanOrEqual(Date.now() - started);
    expect(events.filter((type) => type === 'completed')).toHaveLength(2);
    await lane.enqueue(task()).done;
    expect(bursts).toHaveLength(2);
  });

  it('collects after a burst that was long enough, once the event loop turns, and not after a short one', async () => {
    let collections = 0;
    const collect = collectBurstGarbage(1_000, () => collections++)!;
    collect(10);
    collect(999);
    await turn();
    expect(collections).toBe(0);
    collect(1_000);
    expect(collections).toBe(0);
    await turn();
    expect(collections).toBe(1);
  });

  it("V8's own full GC, reached without --expose-gc on the command line, frees what a burst let go", async () => {
    const collect = collectBurstGarbage(0)!;
    expect(collect).toBeTypeOf('function');
    const used = () => v8.getHeapStatistics().used_heap_size;
    let held: { index: number; text: string }[] | undefined = [];
    for (let index = 0; index < 400_000; index++) held.push({ index, text: `garbage ${index}` });
    const retained = used();
    held = undefined;
    collect(0);
    await turn();
    expect(used()).toBeLessThan(retained - 16 * 1024 * 1024);
    expect(held).toBeUndefined();
  });
});
