import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from './collect-garbage.js';

describe('collectGarbage', () => {
  it('runs a full collection: an object nothing holds is gone, one still held stays', async () => {
    const held = { name: 'held' };
    // Made and let go in a function of its own: nothing on this stack holds it.
    const dropped = ((): WeakRef<{ payload: number[] }> =>
      new WeakRef({ payload: Array.from({ length: 1000 }, (_, index) => index) }))();
    const kept = new WeakRef(held);
    // A WeakRef's target lives at least to the end of the task that made or read it.
    await turn();
    collectGarbage();
    collectGarbage(); // the collector is made once and called again
    expect(dropped.deref()).toBeUndefined();
    expect(kept.deref()).toBe(held);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
